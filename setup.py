"""The one thing pyproject.toml cannot say: the package list is every folder of dashboard/
(screens/ and ui/ have no __init__.py) plus dashboard._data, the repository's data/ mapped
in by [tool.setuptools] package-dir. Everything else is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["dashboard", "dashboard.*"], exclude=["*__pycache__"]),
        "dashboard._data",
    ]
)
