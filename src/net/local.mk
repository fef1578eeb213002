# (owned by its area; sources, tests and dist files)
