"""Load benchmark: N concurrent clients × M questions against a cold `budgetqa serve` on localhost.

Starts the app on a free port from a data directory (the server warms its models and indexes before it
listens), then every client asks its questions through the app's `ask` API (gradio_client) at the same
time. Prints errors, mixed-up answers (an answer whose question is not the one asked, or whose figure
differs from the same question asked alone), latency p50/p95/max, the server's peak memory, and the
time of one 100,000-character question.

    python benchmarks/load.py --data-dir <store> [--clients 20] [--questions 10]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = [  # one per loaded department and kind of route; answers are compared with a single client's
    "区政府办2025年三公经费是多少？", "苏州市审计局2026年一般公共预算财政拨款是多少？",
    "杭州市气象局2026年“气象设施维护及科普”项目主要做什么？", "国家信访局2024年信访业务完成年初预算的百分之多少？",
    "深圳信访局2026年政府采购预算比广州市信访局多多少万元？", "区司法局的主要职能是什么？",
    "福州医保局2026年“医保服务站工作经费”项目提供就业岗位数的指标值是多少个？",
    "重庆市政府办公厅2026年一般公共预算支出比2025年预算增长了百分之多少？",
    "西安审计局2026年“三公”经费、会议费、培训费合计预算是多少？", "区政府办2025年有多少公务员编制？",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the server process (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run(data_dir: Path, clients: int, per_client: int) -> dict:
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "BUDGETQA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        client = None
        while client is None:
            if server.poll() is not None:
                raise RuntimeError(f"the app exited with {server.returncode}")
            try:
                client = Client(url, verbose=False)
            except Exception:  # not listening yet
                time.sleep(0.5)
        ready_s = time.perf_counter() - started
        alone = {q: client.predict(q, api_name="/ask") for q in QUESTIONS}  # the reference answers
        latencies: list[float] = []
        errors: list[str] = []
        mixed: list[str] = []
        lock = threading.Lock()

        def one_client(number: int) -> None:
            own = Client(url, verbose=False)
            for i in range(per_client):
                question = QUESTIONS[(number + i) % len(QUESTIONS)]
                start = time.perf_counter()
                try:
                    result = own.predict(question, api_name="/ask")
                except Exception as error:  # counted, never raised: the benchmark reports every failure
                    with lock:
                        errors.append(f"{type(error).__name__}: {error}")
                    continue
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    if result.get("question") != question or result.get("value") != alone[question].get("value") \
                            or result.get("answer") != alone[question].get("answer"):
                        mixed.append(question)

        threads = [threading.Thread(target=one_client, args=(n,)) for n in range(clients)]
        load_start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - load_start
        start = time.perf_counter()
        long_answer = client.predict("三公经费" * 25_000, api_name="/ask")
        long_ms = (time.perf_counter() - start) * 1000
        return {"clients": clients, "questions_each": per_client, "answers": len(latencies), "errors": len(errors),
                "error_samples": errors[:3], "mixed_up": len(mixed), "ready_s": round(ready_s, 1),
                "p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
                "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
                "max_ms": round(max(latencies), 1) if latencies else None, "wall_s": round(wall, 1),
                "throughput_qps": round(len(latencies) / wall, 2) if wall else None,
                "long_question_ms": round(long_ms, 1), "long_question_refused": not long_answer.get("found"),
                "server_peak_mb": round(peak_rss_mb(server.pid), 1)}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a data directory with documents ingested")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10, help="questions per client")
    args = parser.parse_args()
    result = run(args.data_dir, args.clients, args.questions)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
