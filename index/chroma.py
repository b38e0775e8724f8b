"""The Chroma client the settings name: a persistent index under the data directory, or a Chroma
server (`chroma run --path <folder> --port 8000`) when `chroma_host` is set.

    client, location = open_client(settings)        # raises ChromaUnavailableError when a server is down
    with server_errors(settings):
        client.heartbeat()                          # a server gone away mid-call: ChromaUnavailableError

Nothing here imports chromadb before a client is opened: table questions never load it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from budgetqa.settings import Settings


class ChromaUnavailableError(RuntimeError):
    """The configured Chroma server does not answer (not started, wrong host or port, or gone away)."""


def server_address(settings: Settings) -> str:
    return f"{settings.chroma_host}:{settings.chroma_port}"


def unavailable(settings: Settings, error: BaseException) -> ChromaUnavailableError:
    """The error a person can act on: which server, what failed, how to start one or do without."""
    return ChromaUnavailableError(
        f"No Chroma server answers at {server_address(settings)} ({type(error).__name__}: {error}). "
        f"Start one with `chroma run --path <folder> --host {settings.chroma_host} --port {settings.chroma_port}`, "
        "or check --chroma-host/--chroma-port (BUDGETQA_CHROMA_HOST/BUDGETQA_CHROMA_PORT); "
        "unset them to use the index on disk."
    )


def is_connection_error(error: BaseException) -> bool:
    """Whether `error` is a failure to reach a server (refused, reset, timed out), not an answer."""
    import httpx  # chromadb's HTTP client library; only loaded once Chroma is

    return isinstance(error, httpx.TransportError)


def open_client(settings: Settings) -> tuple[Any, str]:
    """(client, where it keeps its data, for messages). A server is contacted at once, so that a
    server that is down is reported here, naming its address, and not at the first query."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_host:
        path = settings.index_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=client_settings), str(path)
    try:
        client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                     settings=client_settings)
    except ValueError as error:  # chromadb's "Could not connect to a Chroma server. Are you sure it is running?"
        raise unavailable(settings, error) from error
    except Exception as error:
        if is_connection_error(error):
            raise unavailable(settings, error) from error
        raise
    return client, f"Chroma server {server_address(settings)}"


@contextmanager
def server_errors(settings: Settings) -> Iterator[None]:
    """Turn a connection failure of the Chroma server into `ChromaUnavailableError` naming it."""
    try:
        yield
    except ChromaUnavailableError:
        raise
    except Exception as error:
        if settings.chroma_host and is_connection_error(error):
            raise unavailable(settings, error) from error
        raise
