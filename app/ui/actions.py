"""Every command of the main window, declared once: menus, toolbar and shortcuts are built from this.

Callbacks are plain functions of the window, so a test can call them without clicking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from app.ui import find_dialog
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
    checkable: bool = False
    checked: Callable[[MainWindow], bool] | None = None  # the state of a checkable action


def _editor_unlocked(window: MainWindow) -> bool:
    return not window.current_editor().read_only


def _toggle_problem_rows(window: MainWindow) -> None:
    editor = window.current_editor()
    editor.show_problem_rows_only(not editor.problem_rows_only)
    window.refresh_actions()  # a refused toggle must not stay ticked


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
        tip="上传当前表到县级资助中心审核（需要连接审核服务器；审核通过的表已锁定，不能上传）",
        enabled=lambda w: w.sync.can_upload(),
    ),
    ActionSpec(
        "refresh_status",
        "刷新审核状态",
        MENU_DAILY,
        lambda w: w.sync.refresh_status(),
        None,
        _PIX.SP_BrowserReload,
        tip="从审核服务器获取两张表的审核状态和审核意见",
        enabled=lambda w: w.sync.available,
    ),
    ActionSpec(
        "compare_upload",
        "与上次上传相比…",
        MENU_DAILY,
        lambda w: w.sync.show_diff(),
        tip="当前表与上次上传相比新增、修改、删除了哪些行",
        enabled=lambda w: w.sync.available,
    ),
    ActionSpec(
        "receipts",
        "上传记录…",
        MENU_DAILY,
        lambda w: w.sync.show_receipts(),
        tip="本学期每次上传的回执（版本、时间、行数、数字摘要），可导出当时上传的数据",
        enabled=lambda w: w.sync.available,
    ),
    ActionSpec(
        "import",
        "导入…",
        MENU_DAILY,
        lambda w: w.current_editor().import_file(),
        "Ctrl+I",
        _PIX.SP_DialogOpenButton,
        tip="把 Excel 或 CSV 文件的行导入当前表（先显示检查提示；也可把文件拖到表格上）",
        enabled=_editor_unlocked,
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
        "export_issues",
        "导出问题清单…",
        MENU_DAILY,
        lambda w: w.exports.export_issues(),
        tip="把效验数据发现的全部问题导出为 .xlsx 文件",
    ),
    ActionSpec(
        "download_template",
        "下载空白模板…",
        MENU_DAILY,
        lambda w: w.exports.download_template(),
        tip="当前表的空白 Excel 模板：身份证号等列为文本格式，代码列有下拉列表",
    ),
    ActionSpec(
        "export_public_list",
        "导出公示名单…",
        MENU_DAILY,
        lambda w: w.exports.export_public_list(),
        tip="学生资助表的公示名单，身份证号和账号只显示前4位和后4位",
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
        "paste",
        "粘贴",
        MENU_EDIT,
        lambda w: w.current_editor().paste(),
        _KEY.Paste,
        tip="粘贴从 Excel/WPS 复制的内容（先显示检查提示）",
        enabled=_editor_unlocked,
    ),
    ActionSpec(
        "fill_down",
        "向下填充",
        MENU_EDIT,
        lambda w: w.current_editor().fill_down(),
        "Ctrl+D",
        tip="把选中区域最上面一行的内容填入下面的行",
        enabled=_editor_unlocked,
    ),
    ActionSpec(
        "insert_rows",
        "插入行",
        MENU_EDIT,
        lambda w: w.current_editor().insert_rows_above(),
        tip="在选中行的上方插入同样多的空行",
        enabled=_editor_unlocked,
    ),
    ActionSpec(
        "clear",
        "清除内容",
        MENU_EDIT,
        lambda w: w.current_editor().clear_selected_cells(),
        enabled=_editor_unlocked,
    ),
    ActionSpec(
        "next_issue",
        "下一个问题",
        MENU_EDIT,
        lambda w: w.validation.walk(1),
        "F8",
        tip="转到效验数据发现的下一个问题",
    ),
    ActionSpec(
        "previous_issue",
        "上一个问题",
        MENU_EDIT,
        lambda w: w.validation.walk(-1),
        "Shift+F8",
        tip="转到效验数据发现的上一个问题",
    ),
    ActionSpec(
        "show_issues",
        "显示问题列表",
        MENU_EDIT,
        lambda w: w.toggle_issues_panel(),
        "Ctrl+Shift+I",
        tip="显示或隐藏效验数据的问题列表",
    ),
    ActionSpec(
        "find",
        "查找…",
        MENU_EDIT,
        lambda w: find_dialog.open_find(w, w),
        "Ctrl+F",
        _PIX.SP_FileDialogContentsView,
        toolbar=True,
        tip="在显示的行中查找内容",
    ),
    ActionSpec(
        "replace",
        "替换…",
        MENU_EDIT,
        lambda w: find_dialog.open_find(w, w, replacing=True),
        "Ctrl+H",
        tip="查找并替换内容（可撤销）",
        enabled=_editor_unlocked,
    ),
    ActionSpec("find_next", "查找下一个", MENU_EDIT, lambda w: find_dialog.find_again(w, w), "F3"),
    ActionSpec(
        "find_previous",
        "查找上一个",
        MENU_EDIT,
        lambda w: find_dialog.find_again(w, w, backwards=True),
        "Shift+F3",
    ),
    ActionSpec(
        "problem_rows",
        "只看有问题的行",
        MENU_EDIT,
        _toggle_problem_rows,
        "Ctrl+Shift+F",
        _PIX.SP_MessageBoxWarning,
        toolbar=True,
        tip="只显示效验数据发现问题的行；再点一次显示全部行",
        checkable=True,
        checked=lambda w: w.current_editor().problem_rows_only,
    ),
    ActionSpec(
        "clear_filters",
        "清除筛选",
        MENU_EDIT,
        lambda w: w.current_editor().clear_filters(),
        "Ctrl+Shift+L",
        _PIX.SP_DialogResetButton,
        toolbar=True,
        tip="取消所有列的筛选和“只看有问题的行”，显示全部行",
        enabled=lambda w: w.current_editor().model.is_filtered(),
    ),
    ActionSpec(
        "users",
        "用户管理…",
        MENU_ADMIN,
        lambda w: w.manage_user(),
        None,
        _PIX.SP_FileDialogInfoView,
        tip="负责人姓名和联系电话，修改密码",
    ),
    ActionSpec(
        "server_settings",
        "服务器设置…",
        MENU_ADMIN,
        lambda w: w.sync.server_settings(),
        tip="审核服务器的地址",
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
    SEPARATOR,
    "find",
    "problem_rows",
    "clear_filters",
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
        action.setCheckable(spec.checkable)
        action.triggered.connect(lambda _checked=False, s=spec: s.run(window))
        actions[spec.id] = action
    return actions


def update_enablement(window: MainWindow, actions: dict[str, QAction]) -> None:
    for spec in ACTIONS:
        if spec.enabled is not None:
            actions[spec.id].setEnabled(bool(spec.enabled(window)))
        if spec.checked is not None:
            actions[spec.id].setChecked(bool(spec.checked(window)))


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
    "cell": ("cut", "copy", "paste", "clear", "fill_down", "insert_rows", "delete_rows"),
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
