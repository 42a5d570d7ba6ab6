"""Reference TokenStore implementations that pass every clause they declare.

Each module stands alone, so that a user can copy one file as the start of their own
store. That is why ``list_store`` and ``sqlite_store`` repeat their record and
key-rule helpers instead of sharing them: a shared module would be one more file to
find and copy. ``memory_store`` builds on ``sqlite_store``.
"""
