"""Domain layer: table schemas, code lists, periods and the local store. Never imports Qt."""
