"""The desktop client's main window, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.models.period import Period
from app.models.schema import table_schema
from app.models.store import Store
from app.ui.main import install_translations, seed_demo_data
from app.ui.main_window import MainWindow
from app.ui.table_model import RowsTableModel

PERIOD = Period("2026-2027", "秋季学期")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "store.sqlite3")
    yield opened
    opened.close()


def _student(name: str, id_number: str) -> dict[str, str]:
    return {"name": name, "id_number": id_number, "gender": "男", "guardian_phone": "0771-5301234"}


def test_window_shows_both_tables_of_the_period(qtbot: QtBot, store: Store) -> None:
    store.insert_rows("students", PERIOD, [_student("韦小宝", "45010220080101001X"), _student("黄蓉", "")])
    window = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(window)

    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["在学状态表", "学生资助表"]
    model = window.pages["students"].model
    assert model.rowCount() == 2
    assert model.index(0, 2).data() == "45010220080101001X"
    assert model.index(0, 15).data() == "0771-5301234"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "姓名"
    assert model.headerData(1, Qt.Orientation.Vertical) == "2"
    assert window.pages["aid"].model.rowCount() == 0
    assert "共 2 行" in window.statusBar().currentMessage()


def test_choosing_another_period_shows_its_rows(qtbot: QtBot, store: Store) -> None:
    store.insert_rows("students", PERIOD, [_student("韦小宝", "")])
    spring = Period("2026-2027", "春季学期")
    store.insert_rows("students", spring, [_student("甲", ""), _student("乙", ""), _student("丙", "")])
    window = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(window)

    window.term_box.setCurrentText("春季学期")

    assert window.period == spring
    assert window.pages["students"].model.rowCount() == 3
    assert "春季学期" in window.statusBar().currentMessage()


def test_rows_model_passes_qt_model_tester(qtmodeltester: object, store: Store) -> None:
    store.insert_rows("students", PERIOD, [_student(f"学生{i}", "") for i in range(30)])
    model = RowsTableModel(table_schema("students"))
    model.set_rows(store.load("students", PERIOD))
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert model.columnCount() == len(table_schema("students").columns)


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
