"""IDE ecosystems as data: tool catalogs, call formats, generated examples and training sets.

Start at `catalog` (the tools), `calls` (their text formats), `generator` (the
examples the retrieval service indexes) and `training_sets` (the generic
adapter's chat samples); `cli` builds, validates and lists them.
"""
