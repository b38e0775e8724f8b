"""The budgetqa web app (Gradio): ask questions with cited answers, see the cited page, manage documents.

The interface lives in the package budgetqa.ui (one module per tab); this file starts it.

    budgetqa serve                      # or: python app.py --port 7860
"""

from __future__ import annotations

import os

# No analytics or version checks: the app must run without internet. Set before gradio is imported.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse

from budgetqa.settings import Settings
from budgetqa.ui import BudgetApp, build_app, launch

__all__ = ["BudgetApp", "build_app", "launch", "main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the budgetqa app (settings from BUDGETQA_* variables).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args(argv)
    launch(Settings(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
