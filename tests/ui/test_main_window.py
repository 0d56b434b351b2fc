"""The desktop client's main window and login, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QCoreApplication, QItemSelection, QItemSelectionModel, QRect, Qt
from PySide6.QtGui import QInputMethodEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMenu, QMessageBox, QToolBar, QWidget
from pytestqt.qtbot import QtBot

from app.models.account import get_contact
from app.models.period import Period
from app.models.store import Store
from app.ui.login import LoginDialog, UserDialog
from app.ui.main import install_translations, seed_demo_data
from app.ui.main_window import DEFAULT_WINDOW_SIZE, MainWindow, first_placement

PERIOD = Period("2026-2027", "秋季学期")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "store.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def window(qtbot: QtBot, store: Store) -> MainWindow:
    main = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(main)
    return main


def _student(name: str, id_number: str = "") -> dict[str, str]:
    return {"name": name, "id_number": id_number, "gender": "男", "guardian_phone": "0771-5301234"}


def test_window_shows_both_tables_of_the_period(qtbot: QtBot, store: Store) -> None:
    store.insert_rows("students", PERIOD, [_student("韦小宝", "45010220080101001X"), _student("黄蓉")])
    main = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(main)

    assert [main.tabs.tabText(i) for i in range(main.tabs.count())] == ["在学状态表", "学生资助表"]
    model = main.pages["students"].editor.model
    assert model.rowCount() == 2
    assert model.index(0, 2).data() == "45010220080101001X"
    assert main.pages["aid"].editor.model.rowCount() == 0
    assert "共 2 行" in main.statusBar().currentMessage()
    assert main.pages["students"].panel.rows_label.text() == "共 2 行"
    assert main.pages["students"].panel.review_button.text() == "未上传"


def test_menus_and_toolbar_come_from_the_action_registry(window: MainWindow) -> None:
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["日常工作", "编辑", "管理项目"]
    daily = window.menuBar().actions()[0].menu()
    assert isinstance(daily, QMenu)
    assert [a.text() for a in daily.actions()] == [
        *["增加行…", "删除行", "本地保存", "效验数据", "上传数据", "刷新审核状态", "与上次上传相比…"],
        *["上传记录…", "导入…", "导出到Excel…", "导出问题清单…", "下载空白模板…", "导出公示名单…"],
    ]
    toolbar = window.findChild(QToolBar, "main_toolbar")
    assert toolbar is not None
    texts = [a.text() for a in toolbar.actions() if not a.isSeparator()]
    assert texts[:6] == ["增加行…", "删除行", "本地保存", "效验数据", "上传数据", "导出到Excel…"]
    assert window.actions_by_id["save"].shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert window.actions_by_id["validate"].shortcut().toString() == "F5"
    assert not window.actions_by_id["upload"].isEnabled()  # no review server yet


def test_add_rows_asks_how_many(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QInputDialog, "getInt", lambda *args, **kwargs: (5, True))
    window.actions_by_id["add_rows"].trigger()
    assert window.pages["students"].editor.model.rowCount() == 5
    assert window.store.count("students", PERIOD) == 5
    assert window.actions_by_id["undo"].isEnabled()
    window.actions_by_id["undo"].trigger()
    assert window.store.count("students", PERIOD) == 0


def test_choosing_another_period_shows_its_rows(window: MainWindow, store: Store) -> None:
    spring = Period("2026-2027", "春季学期")
    store.insert_rows("students", spring, [_student("甲"), _student("乙"), _student("丙")])

    window.term_box.setCurrentText("春季学期")

    assert window.period == spring
    assert window.pages["students"].editor.model.rowCount() == 3
    assert "春季学期" in window.statusBar().currentMessage()


def test_save_locally_checks_the_file_and_says_when(window: MainWindow) -> None:
    window.actions_by_id["save"].trigger()
    assert window.pages["students"].panel.saved_label.text().startswith("已保存 ")
    assert "数据文件检查完好" in window.statusBar().currentMessage()


def test_validate_reports_the_summary(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.store.insert_rows("students", PERIOD, [_student("韦小宝", "440308199901101513")])
    window.reload()

    window.actions_by_id["validate"].trigger()

    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("效验完成："), timeout=10_000)
    summary = window.pages["students"].panel.issues_label.text()
    assert "个错误" in summary and not summary.startswith("0 个错误")
    assert window.issues_panel.isVisibleTo(window)


def test_export_writes_the_current_table(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.store.insert_rows("students", PERIOD, [_student("韦小宝", "45010220080101001X")])
    window.reload()
    target = tmp_path / "导出"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))

    window.actions_by_id["export"].trigger()

    written = tmp_path / "导出.xlsx"
    qtbot.waitUntil(lambda: "已导出" in window.statusBar().currentMessage(), timeout=10_000)
    sheet = openpyxl.load_workbook(written).worksheets[0]
    assert sheet.cell(row=2, column=1).value == "韦小宝"
    assert sheet.cell(row=2, column=3).value == "45010220080101001X"


def test_column_widths_are_remembered(qtbot: QtBot, store: Store) -> None:
    first = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(first)
    first.pages["students"].editor.view.setColumnWidth(0, 211)
    first.close()

    second = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(second)
    assert second.pages["students"].editor.view.columnWidth(0) == 211


def test_window_size_is_remembered(qtbot: QtBot, store: Store) -> None:
    first = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(first)
    assert first.size() == DEFAULT_WINDOW_SIZE
    first.resize(760, 560)  # within the offscreen platform's 800×600 screen, which restoreGeometry keeps to
    first.close()

    second = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (760, 560)


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (QRect(0, 0, 1366, 728), None),  # a 1366×768 laptop less its taskbar: maximized
        (QRect(0, 0, 1280, 760), None),
        (QRect(0, 0, 1920, 1040), QRect(320, 120, 1280, 800)),
        (QRect(1920, 0, 1920, 1080), QRect(2240, 140, 1280, 800)),  # the second monitor
        (QRect(0, 0, 1280, 800), QRect(0, 0, 1280, 800)),
    ],
)
def test_the_first_start_fits_the_screen(available: QRect, expected: QRect | None) -> None:
    assert first_placement(available) == expected


def test_first_login_creates_the_account_and_later_logins_check_the_password(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    data_dir = tmp_path / "data"

    first = LoginDialog(data_dir, "2145000001")
    qtbot.addWidget(first)
    first.password_edit.setText("本机密码1")
    first.try_login()
    assert first.result() == LoginDialog.DialogCode.Accepted
    assert first.store is not None
    first.store.close()

    again = LoginDialog(data_dir, "2145000001")
    qtbot.addWidget(again)
    again.password_edit.setText("不对的密码")
    again.try_login()
    assert again.store is None
    assert warnings == ["密码错误。离线登录需使用本机上次登录成功时的密码。"]


def test_login_refuses_a_malformed_org_code(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    dialog = LoginDialog(tmp_path, "21450")
    qtbot.addWidget(dialog)
    dialog.password_edit.setText("x")
    dialog.try_login()
    assert dialog.store is None
    assert "10位数字" in warnings[0]
    assert not (tmp_path / "accounts").exists()


def test_user_dialog_keeps_the_contact(qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    dialog = UserDialog(store, "2145000001")
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("黄老师")
    dialog.phone_edit.setText("123")
    dialog.save()
    assert warnings and "联系电话" in warnings[0]
    dialog.phone_edit.setText("13812345678")
    dialog.save()
    assert get_contact(store).phone == "13812345678"


def test_standard_dialogs_speak_chinese(qapp: QApplication) -> None:
    translators = install_translations(qapp)
    try:
        assert translators
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    finally:
        for translator in translators:
            qapp.removeTranslator(translator)


def test_demo_seed_fills_an_empty_store_once(store: Store) -> None:
    seed_demo_data(store, PERIOD)
    students = store.count("students", PERIOD)
    aid = store.count("aid", PERIOD)
    assert students == 300
    assert aid > students

    seed_demo_data(store, PERIOD)
    assert store.count("students", PERIOD) == students


def test_grid_context_menus_are_built_from_the_registered_actions(window: MainWindow) -> None:
    editor = window.pages["students"].editor
    titles = [entry.title for entry in editor.context_entries("cell")]
    assert titles == ["剪切", "复制", "粘贴", "清除内容", "向下填充", "插入行", "删除行"]
    assert [entry.title for entry in editor.context_entries("empty")] == ["增加行…"]
    menu = editor.build_context_menu("row_header")
    assert [action.text() for action in menu.actions()] == ["删除行", "增加行…"]


def _focused(view: QWidget) -> QWidget:
    """The open cell editor when there is one (keys go there), else the grid."""
    focus = QApplication.focusWidget()
    return focus if isinstance(focus, QWidget) else view


def _ime_commit(widget: QWidget, text: str) -> None:
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_a_clerk_session_in_the_real_window_survives_closing_and_reopening(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Type, Enter/Tab, add 5 rows, delete 2 (confirmed), undo both, redo, copy; reopen: all back."""
    questions: list[str] = []

    def answer_yes(_parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        questions.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer_yes)
    monkeypatch.setattr(QInputDialog, "getInt", lambda *args, **kwargs: (5, True))
    path = tmp_path / "clerk.sqlite3"
    store = Store.open(path)
    main = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    editor = main.current_editor()
    view = editor.view

    main.actions_by_id["add_rows"].trigger()  # 5 empty rows
    assert editor.model.rowCount() == 5
    view.setFocus()
    view.setCurrentIndex(editor.model.index(0, 0))
    _ime_commit(view, "韦小宝")  # Chinese arrives from the input method
    QTest.keyClick(_focused(view), Qt.Key.Key_Tab)
    assert view.currentIndex().column() == 1
    _ime_commit(view, "男")
    QTest.keyClick(_focused(view), Qt.Key.Key_Return)
    assert (view.currentIndex().row(), view.currentIndex().column()) == (1, 1)
    view.setCurrentIndex(editor.model.index(0, 2))
    _ime_commit(view, "４５０１０２２００８０１０１００１x")  # full-width digits, lower-case x
    QTest.keyClick(_focused(view), Qt.Key.Key_Return)
    assert editor.model.value(0, 2) == "45010220080101001X"

    view.selectRow(3)
    view.selectionModel().select(
        editor.model.index(4, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    main.actions_by_id["delete_rows"].trigger()
    assert questions and "2" in questions[-1]
    assert store.count("students", PERIOD) == 3
    main.actions_by_id["undo"].trigger()  # the delete
    assert store.count("students", PERIOD) == 5
    main.actions_by_id["undo"].trigger()  # the ID edit
    assert store.load("students", PERIOD).values[0][2] == ""
    main.actions_by_id["redo"].trigger()
    assert store.load("students", PERIOD).values[0][2] == "45010220080101001X"

    view.selectionModel().select(
        QItemSelection(editor.model.index(0, 0), editor.model.index(0, 2)),
        QItemSelectionModel.SelectionFlag.ClearAndSelect,
    )
    main.actions_by_id["copy"].trigger()
    assert QApplication.clipboard().text() == "韦小宝\t男\t45010220080101001X"

    main.close()
    store.close()
    reopened_store = Store.open(path)
    try:
        again = MainWindow(reopened_store, "2145000001", PERIOD)
        qtbot.addWidget(again)
        values = again.current_editor().model.rows_values()
        assert len(values) == 5
        assert list(values[0][:3]) == ["韦小宝", "男", "45010220080101001X"]
    finally:
        reopened_store.close()
