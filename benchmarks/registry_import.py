"""Benchmark `registry_import`: `ipfin import_patents` on 100,000 rows, in rows per second.

Generates 100,000 synthetic rows in the CNIPR export format (valid check digits, fixed seed) into
a temporary directory, then, in a fresh temporary SQLite database (the embedded default, WAL):

- baseline: the same rows as Right objects already built, inserted by `bulk_create` alone;
- value: the whole command on the CSV file (read, map, validate, look up, write rights, owners
  and events in batches), through `call_command("import_patents", ...)`.

Prints one JSON line: {"bench", "value", "unit", "baseline", "ratio" (value / baseline), ...}.
Run it alone with `python -m benchmarks.registry_import`, or all benchmarks with `make bench`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROWS = 100_000
SEED = 20_260_101
BATCH_SIZE = 2000

CNIPR_COLUMNS = [
    "申请号", "公开（公告）号", "公开（公告）日", "申请日", "专利号", "名称", "主分类号", "分类号",
    "分案原申请号", "优先权", "申请（专利权）人", "发明（设计）人", "地址", "颁证日", "国际申请",
    "国际公布", "进入国家日期", "专利代理机构", "代理人", "摘要", "主权项", "参考文献", "审查员",
    "光盘号", "PCT公开",
]  # fmt: skip
_PROVINCES = [
    ("江苏省南京市", "210000"), ("浙江省杭州市", "310000"), ("广东省深圳市", "518000"),
    ("北京市海淀区", "100080"), ("上海市浦东新区", "200120"), ("山东省济南市", "250000"),
    ("河南省郑州市", "450000"), ("湖北省武汉市", "430000"), ("四川省成都市", "610000"),
]  # fmt: skip
_WORDS = (
    "一种", "装置", "系统", "方法", "轨枕", "混凝土", "无人机", "传感器", "电池", "控制", "检测",
    "组件", "结构", "模块", "自动", "智能",
)  # fmt: skip
_IPC = ["E01B3/32", "B64C39/02", "G01N33/00", "H04N7/18", "G06F16/33", "H01M10/42", "A01K47/00"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"


def _check_digit(body: str) -> str:
    from ipfin.registry.domain import cn_application_check_digit

    return cn_application_check_digit(body)


def generate_rows(n: int = ROWS, seed: int = SEED) -> list[dict[str, str]]:
    """n distinct CNIPR rows: 70% utility models (U, granted), 20% published invention
    applications (A), 10% granted inventions (B); 1-3 applicants, 1-4 inventors."""
    rng = random.Random(seed)
    companies = [f"{p[:2]}{rng.choice(_WORDS)}{rng.choice(_WORDS)}科技有限公司{i}" for i, p in
                 enumerate(p for p, _ in _PROVINCES * 40)]  # fmt: skip
    rows: list[dict[str, str]] = []
    for i in range(n):
        draw = rng.random()
        type_digit, kind_code = ("2", "U") if draw < 0.7 else ("1", "A" if draw < 0.9 else "B")
        year = 2010 + i % 10
        body = f"{year}{type_digit}{i:07d}"
        number = f"CN{body}.{_check_digit(body)}"
        filed = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        published = filed + timedelta(days=rng.randrange(120, 900))
        place, postcode = rng.choice(_PROVINCES)
        owners = rng.sample(companies, rng.choice((1, 1, 1, 2, 3)))
        inventors = [rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
                     for _ in range(rng.randrange(1, 5))]  # fmt: skip
        ipc = rng.sample(_IPC, rng.randrange(1, 4))
        title = "一种" + "".join(rng.choice(_WORDS) for _ in range(rng.randrange(2, 6)))
        abstract = (
            "本实用新型公开了"
            + title
            + "，"
            + "".join(rng.choice(_WORDS) for _ in range(rng.randrange(40, 90)))
        )
        rows.append(
            {
                "申请号": number,
                "公开（公告）号": f"CN{200_000_000 + i}{kind_code}",
                "公开（公告）日": published.strftime("%Y.%m.%d"),
                "申请日": filed.strftime("%Y.%m.%d"),
                "专利号": number,
                "名称": title,
                "主分类号": f"{ipc[0]}(2006.01)I",
                "分类号": ";".join(f"{c}(2006.01)I" for c in ipc),
                "申请（专利权）人": ";".join(owners),
                "发明（设计）人": ";".join(inventors),
                "地址": f"{postcode} {place}{rng.randrange(1, 999)}号",
                "专利代理机构": "某某知识产权代理有限公司 32243",
                "代理人": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                "摘要": abstract,
                "主权项": title + "，其特征在于：" + abstract[:60],
                "光盘号": "D1301",
                "PCT公开": "0",
            }
        )
    return rows


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CNIPR_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)


def _setup_django(var_dir: Path) -> None:
    # A fresh embedded database of our own, whatever the environment points at.
    os.environ["IPFIN_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django
    from django.conf import settings

    if settings.configured:
        raise RuntimeError("registry_import must run in a fresh process (see benchmarks/__main__)")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _empty_register() -> None:
    from django.db import connection

    from ipfin.registry.models import Right, RightEvent, RightOwner

    with connection.cursor() as cursor:
        for model in (RightEvent, RightOwner, Right):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608 - our table names
        cursor.execute("VACUUM")


def _baseline(path: Path) -> float:
    """Seconds to bulk_create the file's rows as ready-built Right objects."""
    from django.db import transaction

    from ipfin.registry.importers import parse_file, right_from_record
    from ipfin.registry.models import Right

    result, records = parse_file(path)
    assert result is not None and len(records) == ROWS, "generated rows must all be valid"
    rights = [right_from_record(record, result.source) for record in records]
    start = time.perf_counter()
    with transaction.atomic():
        Right.objects.bulk_create(rights, batch_size=BATCH_SIZE)
    return time.perf_counter() - start


def import_file(path: Path) -> tuple[float, str]:
    """Seconds `import_patents` takes on the file, and its summary."""
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    call_command(
        "import_patents", str(path), stdout=out, stderr=err, progress=False, batch_size=BATCH_SIZE
    )
    return time.perf_counter() - start, out.getvalue()


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="ipfin-bench-") as tmp:
        tmpdir = Path(tmp)
        data_dir = tmpdir / "cn-patents-synthetic"
        data_dir.mkdir()
        path = data_dir / "cnipr_synthetic_100000.csv"
        write_csv(generate_rows(), path)
        _setup_django(tmpdir)

        from ipfin.registry.models import Right, RightEvent, RightOwner

        baseline_seconds = _baseline(path)
        assert Right.objects.count() == ROWS
        _empty_register()

        seconds, summary = import_file(path)
        counts = (Right.objects.count(), RightOwner.objects.count(), RightEvent.objects.count())
        if counts[0] != ROWS:
            raise RuntimeError(f"import created {counts[0]} rights, expected {ROWS}: {summary}")
        rerun_seconds, rerun_summary = import_file(path)
        if "未变 100000" not in rerun_summary:
            raise RuntimeError(f"re-run was not idempotent: {rerun_summary}")

    value = ROWS / seconds
    baseline = ROWS / baseline_seconds
    detail = {
        "rows": ROWS,
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline_seconds, 3),
        "rerun_seconds": round(rerun_seconds, 3),
        "owners": counts[1],
        "events": counts[2],
    }
    print(f"registry_import: {json.dumps(detail)}", file=sys.stderr)
    return [
        {
            "bench": "registry_import",
            "value": round(value, 1),
            "unit": "rows/s",
            "baseline": round(baseline, 1),
            "ratio": round(value / baseline, 4),
        }
    ]


if __name__ == "__main__":
    for line in run():
        print(json.dumps(line, ensure_ascii=False))
