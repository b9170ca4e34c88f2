"""One module per violation rule; each consumes ``Observation`` records of confirmed tracks.

Shared contract (``pipelines.rules.base``): a rule is built from the camera's scene
config, ``observe(observations, ctx)`` is called once per detected frame with every
visible track, ``finish(track_id, ctx)`` when a track ends; both return ``RuleHit``
records. A rule emits at most one hit per track, and only after its condition held over
several observations (debouncing), so box jitter near a line neither creates nor hides events.
"""
