"""Every command of the main window, declared once: menus, toolbar and shortcuts are built from this.

Callbacks are plain functions of the window, so a test can call them without clicking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from app.ui.table_editor import ContextEntry

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

MENU_DAILY = "日常工作"
MENU_EDIT = "编辑"
MENU_ADMIN = "管理项目"
MENUS = (MENU_DAILY, MENU_EDIT, MENU_ADMIN)
SEPARATOR = "-"


@dataclass(frozen=True)
class ActionSpec:
    id: str
    title: str
    menu: str
    run: Callable[[MainWindow], object]
    shortcut: QKeySequence.StandardKey | str | None = None
    icon: QStyle.StandardPixmap | None = None
    toolbar: bool = False
    tip: str = ""
    enabled: Callable[[MainWindow], bool] | None = None


def _editor_unlocked(window: MainWindow) -> bool:
    return not window.current_editor().read_only


_PIX = QStyle.StandardPixmap
_KEY = QKeySequence.StandardKey

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "add_rows",
        "增加行…",
        MENU_DAILY,
        lambda w: w.add_rows(),
        "Ctrl+Shift+N",
        _PIX.SP_FileDialogNewFolder,
        toolbar=True,
        tip="在选中行下方（或表末）增加若干空行",
        enabled=_editor_unlocked,
    ),
    ActionSpec(
        "delete_rows",
        "删除行",
        MENU_DAILY,
        lambda w: w.current_editor().delete_selected_rows(),
        "Ctrl+-",
        _PIX.SP_TrashIcon,
        toolbar=True,
        tip="删除选中的行（会先确认行数）",
        enabled=_editor_unlocked,
    ),
    ActionSpec(
        "save",
        "本地保存",
        MENU_DAILY,
        lambda w: w.save_locally(),
        _KEY.Save,
        _PIX.SP_DialogSaveButton,
        toolbar=True,
        tip="写入本机并检查数据文件完好（每次修改都已自动保存）",
    ),
    ActionSpec(
        "validate",
        "效验数据",
        MENU_DAILY,
        lambda w: w.validate_tables(),
        "F5",
        _PIX.SP_DialogApplyButton,
        toolbar=True,
        tip="按全部效验规则检查两张表",
    ),
    ActionSpec(
        "upload",
        "上传数据",
        MENU_DAILY,
        lambda w: w.upload(),
        None,
        _PIX.SP_ArrowUp,
        toolbar=True,
        tip="上传到县级资助中心审核（需要连接审核服务器）",
        enabled=lambda w: w.server_connected,
    ),
    ActionSpec(
        "export",
        "导出到Excel…",
        MENU_DAILY,
        lambda w: w.export_current_table(),
        "Ctrl+E",
        _PIX.SP_DriveFDIcon,
        toolbar=True,
        tip="把当前表导出为 .xlsx 文件（身份证号等为文本格式）",
    ),
    ActionSpec(
        "undo",
        "撤销",
        MENU_EDIT,
        lambda w: w.undo_group.undo(),
        _KEY.Undo,
        _PIX.SP_ArrowBack,
        toolbar=True,
        tip="撤销上一步修改",
        enabled=lambda w: w.undo_group.canUndo(),
    ),
    ActionSpec(
        "redo",
        "重做",
        MENU_EDIT,
        lambda w: w.undo_group.redo(),
        "Ctrl+Y",
        _PIX.SP_ArrowForward,
        toolbar=True,
        tip="重做刚撤销的修改",
        enabled=lambda w: w.undo_group.canRedo(),
    ),
    ActionSpec(
        "cut", "剪切", MENU_EDIT, lambda w: w.current_editor().cut_selection(), enabled=_editor_unlocked
    ),
    ActionSpec("copy", "复制", MENU_EDIT, lambda w: w.current_editor().copy_selection()),
    ActionSpec(
        "clear",
        "清除内容",
        MENU_EDIT,
        lambda w: w.current_editor().clear_selected_cells(),
        enabled=_editor_unlocked,
    ),
    ActionSpec(
        "users",
        "用户管理…",
        MENU_ADMIN,
        lambda w: w.manage_user(),
        None,
        _PIX.SP_FileDialogInfoView,
        tip="负责人姓名和联系电话",
    ),
    ActionSpec("quit", "退出", MENU_ADMIN, lambda w: w.close(), _KEY.Quit),
)
ACTION_IDS = frozenset(spec.id for spec in ACTIONS)
# Toolbar order, as in the provincial system: rows, save, check, upload, export; then undo/redo.
TOOLBAR = (
    "add_rows",
    "delete_rows",
    SEPARATOR,
    "save",
    "validate",
    "upload",
    "export",
    SEPARATOR,
    "undo",
    "redo",
)


def build_actions(window: MainWindow) -> dict[str, QAction]:
    """One QAction per spec, parented to the window; triggered runs the spec's callback."""
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.title, window)
        action.setObjectName(f"action_{spec.id}")
        if spec.icon is not None:
            action.setIcon(window.style().standardIcon(spec.icon))
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(f"{spec.title.rstrip('…')}：{spec.tip}")
        action.triggered.connect(lambda _checked=False, s=spec: s.run(window))
        actions[spec.id] = action
    return actions


def update_enablement(window: MainWindow, actions: dict[str, QAction]) -> None:
    for spec in ACTIONS:
        if spec.enabled is not None:
            actions[spec.id].setEnabled(bool(spec.enabled(window)))


def fill_menus(menus: dict[str, QMenu], actions: dict[str, QAction]) -> None:
    for spec in ACTIONS:
        menus[spec.menu].addAction(actions[spec.id])


def fill_toolbar(toolbar: QToolBar, actions: dict[str, QAction]) -> None:
    for action_id in TOOLBAR:
        if action_id == SEPARATOR:
            toolbar.addSeparator()
        else:
            toolbar.addAction(actions[action_id])


# The grid's right-click menus: on cells, on the row numbers, on the grey area below the rows.
CONTEXT_MENUS: dict[str, tuple[str, ...]] = {
    "cell": ("cut", "copy", "clear", "add_rows", "delete_rows"),
    "row_header": ("delete_rows", "add_rows"),
    "empty": ("add_rows",),
}


def context_entries(actions: dict[str, QAction], area: str) -> list[ContextEntry]:
    """The entries of a grid context menu, taken from the registered actions (enabled ones only)."""
    entries = []
    for action_id in CONTEXT_MENUS.get(area, ()):
        action = actions[action_id]
        if action.isEnabled():
            entries.append(ContextEntry(action.text(), action.shortcut().toString(), action.trigger))
    return entries
