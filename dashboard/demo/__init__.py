"""The synthetic demo ward (nine fake patients on high-dose IL-2) and its generator.

- :mod:`~dashboard.demo.clock`: the story's zone and "now", and moving it to the real clock
  (the only part the app imports);
- :mod:`~dashboard.demo.story`: who the patients are and what happens to them;
- :mod:`~dashboard.demo.physiology`: the body's response to the doses and when things are
  charted;
- :mod:`~dashboard.demo.team`: the simulated team's decisions, by the protocol files;
- :mod:`~dashboard.demo.chart`: what is charted;
- :mod:`~dashboard.demo.ward`: the ward as the contract's input tables;
- :mod:`~dashboard.demo.files`: the files written, and ``python -m dashboard.demo``.

Nothing is imported here, so that importing the clock never loads the generator.
"""
