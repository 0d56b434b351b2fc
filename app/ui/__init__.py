"""The PySide6 desktop client. The only package that imports Qt; it calls services, never SQL/HTTP."""
