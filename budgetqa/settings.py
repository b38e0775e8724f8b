"""One settings object for every stage. Each field is an environment variable with the prefix
BUDGETQA_ (e.g. BUDGETQA_DATA_DIR) and a CLI flag of the same name (--data-dir).

    settings = Settings(data_dir=tmp_path)   # tests
    settings = Settings()                    # reads BUDGETQA_* from the environment
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration of budgetqa. Paths default to places under `data_dir`."""

    model_config = SettingsConfigDict(env_prefix="BUDGETQA_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the SQLite store, the Chroma index, the BM25 index and uploads.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the structured store; default sqlite:///<data_dir>/budgetqa.db.",
    )
    chroma_host: str | None = Field(
        default=None, description="Host of a Chroma server; unset means a persistent index on disk."
    )
    chroma_port: int = Field(default=8000, description="Port of the Chroma server.")
    chroma_collection: str = Field(
        default="budgetqa_passages", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$",
        description=(
            "Chroma collection of the passage vectors. One library (store + BM25 index) per collection: "
            "repair removes passages of documents its own store does not hold."
        ),
    )
    embedding_model: str = Field(
        default="use-multilingual",
        description=(
            "Passage embedding model: 'use-multilingual' (packaged, offline, Chinese-capable), "
            "or any sentence-transformers model by hub name or local path."
        ),
    )
    max_file_mb: float = Field(default=100.0, description="Files larger than this are refused.")
    max_pages: int = Field(default=1000, description="PDFs with more pages than this are refused.")
    llm: str | None = Field(
        default=None,
        description="Optional chat model to phrase answers: 'openai:<model>' or 'ollama:<model>'.",
    )
    llm_base_url: str | None = Field(default=None, description="Base URL of the LLM endpoint.")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'budgetqa.db').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"
