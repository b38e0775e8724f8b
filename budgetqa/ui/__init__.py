"""The budgetqa web app (Gradio), one module per part: `service` (the app's connection to the library),
`chat` (问答), `documents` (文档库), `layout` (the Blocks, the 表格浏览 tab and serving).

    demo = build_app(Settings(data_dir=tmp_path)); launch(settings, port=7861)
"""

from budgetqa.ui.layout import build_app, launch, offline_theme
from budgetqa.ui.service import BudgetApp

__all__ = ["BudgetApp", "build_app", "launch", "offline_theme"]
