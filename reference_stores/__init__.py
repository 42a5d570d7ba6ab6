"""Reference TokenStore implementations that pass every pytest-tokenstore clause."""
