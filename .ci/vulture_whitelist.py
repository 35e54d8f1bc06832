"""Names vulture (at 80% confidence) reports as unused that are used, each with the reason.

Read by `make lint` (vulture ... .ci/vulture_whitelist.py); the file is never imported.
"""

# index/cache.py `_file_sha256(path, size, mtime_ns)`: an lru_cache key, not read in the body; a
# replaced file has another size or mtime, so it is hashed again instead of served from the cache.
mtime_ns
