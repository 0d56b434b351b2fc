"""Sync with the review server (login, upload, review status, receipts). Plain Python, never Qt.

For the desktop client and the CLI the entry point is :class:`app.sync.service.SyncService`; run
every call that may touch the network on a worker thread (each call opens its own connection to the
account's store, so the GUI thread keeps its own Store). Modules:

- ``service``     SyncService, LoginResult, check_new_password — what the UI and ``zizhu`` call.
- ``client``      ReviewClient (one method per endpoint, retries, gzip, ETag), TableStatus,
                  PeriodStatus, RowComment, RetryPolicy.
- ``errors``      SyncError and its subclasses; show ``exc.user_message`` (plain Chinese), log ``exc``.
- ``receipts``    Receipt, SentRows (rows as sent, for the .xlsx export), RowDiff (与上次上传相比).
- ``credentials`` TokenStore: the token in the OS credential store, else a 0600 file.
- ``settings``    the server address (``sync.json`` in the user data folder; ``ZIZHU_SERVER_URL`` wins).

What the UI does with it (issue 8):

- Login dialog: ``service.login(org, pw)``; ``result.online`` False → show "离线" with
  ``result.offline_reason``; ``result.must_change_password`` → the password dialog checks with
  ``check_new_password(org, new)`` as the user types, then ``service.change_password(old, new)``.
  Settings dialog: ``service.server_url`` / ``service.set_server_url(url)`` (ServerAddressError).
- 用户管理: ``service.get_profile()`` / ``service.save_profile(Contact(name, phone))``.
- Status panel: ``service.known_status(period)`` at once (no network), then
  ``service.refresh_status(period)`` at login, on 刷新审核状态 and every few minutes (a 304 while
  unchanged). ``status.table(key)`` → TableStatus: ``label`` (未上传/待审核/审核通过/退回重交),
  ``locked``, ``comment`` (the banner), ``row_comments`` (row_uid, column header, message → mark
  rows, tooltips, issues panel). ``service.is_locked(period, table)`` answers from the last status.
- 上传数据: ``service.upload_table(period, table, progress=cb, cancel=event.is_set)`` →
  Receipt (revision, row_count, digest, ``local_time_text``). ValidationFailedError has ``issues``
  (show the count and offer the issues panel); ServerRejectedError has ``errors`` (RowError, use
  ``e.as_issue(table)`` for the issues panel); ApprovedError / RevisionMismatchError: show the
  message, the status was refreshed already; anything else: show ``user_message``.
- 与上次上传相比: ``service.diff_since_last_upload(period, table)`` → RowDiff (added uids, changed
  rows with their cell changes, deleted rows with their old values, ``summary()``).
- 上传记录: ``service.receipts(period, table)``; ``service.receipt_rows(receipt).values`` go to
  ``app.files.exporter.export_table(path, table, values)``.
"""
