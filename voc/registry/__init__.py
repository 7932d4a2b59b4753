"""The model registry: versioned entries, safe activation, evaluation (`voc models`, `voc eval`).

Modules: `entry` (one version's manifest and file checks), `store` (versions and activation),
`activations` (the database log of which version is active), `compare` (metric comparison on
shared evaluation sets), `components` (what the registry knows per kind of model),
`evaluate` (`voc eval`), `training` (`voc train` registering new versions), `loader` (an
Analyzer of the active versions). Nothing is re-exported here.
"""
