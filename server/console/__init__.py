"""The reviewer web console: server-rendered Chinese pages for reviewers and admins.

``server.console.routes.install_console(app)`` mounts it at ``/console`` (and ``/`` redirects
there). The pages call the same services as the API (``server.review``, ``server.accounts``,
``server.auth``); the session is the API's bearer token kept in an HttpOnly cookie.
"""
