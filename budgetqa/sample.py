"""A sample disclosure the project generates itself: a fictional department (上海市示例区示例局 by
default) with made-up figures, laid out like a real Shanghai district 部门预算 (narrative sections,
ruled tables in 元, the 三公 table in 万元). It needs no font file: the PDF names Adobe's standard
STSong-Light CID font, which every PDF reader (and pdfminer) knows. A `SampleSpec` varies the region,
department, year, figures and the layout of the function table (benchmarks/scale.py makes thousands).

    pdf_path = write_sample_pdf(Path("data/sample"))
    pdf_path = write_sample_pdf(folder, SampleSpec(region="北京市样本区", core="教育局", fiscal_year=2024, scale=23))
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

SAMPLE_FILE = "示例局2025年部门预算.pdf"
DEPARTMENT = "上海市示例区示例局"

# code (类, 款, 项), name, total, basic, project (元, before scaling)
FUNCTION_ROWS = [
    ("201", "", "", "一般公共服务支出", "5,200,000.00", "3,200,000.00", "2,000,000.00"),
    ("201", "99", "", "其他一般公共服务支出", "5,200,000.00", "3,200,000.00", "2,000,000.00"),
    ("201", "99", "01", "行政运行", "3,200,000.00", "3,200,000.00", ""),
    ("201", "99", "02", "一般行政管理事务", "2,000,000.00", "", "2,000,000.00"),
    ("208", "", "", "社会保障和就业支出", "600,000.00", "600,000.00", ""),
    ("208", "05", "", "行政事业单位养老支出", "600,000.00", "600,000.00", ""),
    ("208", "05", "05", "机关事业单位基本养老保险缴费支出", "400,000.00", "400,000.00", ""),
    ("208", "05", "06", "机关事业单位职业年金缴费支出", "200,000.00", "200,000.00", ""),
    ("221", "", "", "住房保障支出", "300,000.00", "300,000.00", ""),
    ("221", "02", "", "住房改革支出", "300,000.00", "300,000.00", ""),
    ("221", "02", "01", "住房公积金", "300,000.00", "300,000.00", ""),
]


@dataclass(frozen=True)
class SampleSpec:
    """One fictional disclosure: who publishes it, for which year, how big its figures are, which layout."""

    region: str = "上海市示例区"
    core: str = "示例局"  # the department's name without its region
    duty: str = "示例"  # what it is responsible for, as its 职能 section words it
    fiscal_year: int = 2025
    scale: int = 10  # every figure is the default sample's × scale / 10 (totals stay consistent)
    codes_in_one_column: bool = False  # function codes as '2019901' in one column instead of 类/款/项

    @property
    def department(self) -> str:
        return f"{self.region}{self.core}"

    @property
    def file_name(self) -> str:
        if self == SampleSpec():
            return SAMPLE_FILE
        return f"{self.region}{self.core}{self.fiscal_year}年部门预算.pdf"

    def yuan(self, printed: str) -> str:
        """A figure of the default sample (元, printed with separators) scaled to this spec."""
        return f"{Decimal(printed.replace(',', '')) * self.scale / 10:,.2f}" if printed else ""

    def wan(self, amount: str) -> str:
        """A 万元 figure of the default sample scaled to this spec."""
        return f"{Decimal(amount) * self.scale / 10:.2f}"


def narrative(spec: SampleSpec) -> list[tuple[str, list[str]]]:
    """The narrative sections: title page, 职能, 机构, 编制说明, 三公 and 机关运行经费."""
    year, last, name, duty, w = spec.fiscal_year, spec.fiscal_year - 1, spec.department, spec.duty, spec.wan
    return [
        (f"{spec.region}{year}年区级部门预算", [f"预算主管部门：{name}"]),
        ("一、部门主要职能", [
            f"{name}是负责本区{duty}事务的区政府工作部门。主要职能包括：",
            f"1.贯彻执行国家和本市有关{duty}工作的法律、法规和政策。",
            f"2.组织编制本区{duty}事业发展规划并组织实施。",
            f"3.承担本区{duty}数据的统计、分析和发布工作。",
            "4.完成区委、区政府交办的其他任务。",
        ]),
        ("二、部门机构设置", [f"{name}部门预算是包括本部的综合收支计划。本部门中，行政单位1家。"]),
        (f"三、{year}年部门预算编制说明", [
            (f"{year}年，{name}收入预算{w('610.00')}万元，其中：财政拨款收入{w('610.00')}万元，"
            f"比{last}年预算减少{w('20.00')}万元。"),
            f"支出预算{w('610.00')}万元，其中：基本支出{w('410.00')}万元，项目支出{w('200.00')}万元。",
            "财政拨款收入支出减少的主要原因是项目调整。",
        ]),
        ("四、其他相关情况说明", [
            "（一）“三公”经费预算情况说明",
            (f"{year}年“三公”经费预算数为{w('12.50')}万元，比{last}年预算减少{w('1.50')}万元。其中：因公出国（境）费0万元，"
            f"与{last}年预算持平；公务用车购置及运行费{w('8.50')}万元，比{last}年预算减少{w('1.50')}万元，"
            f"主要原因是公务用车数量减少；公务接待费{w('4.00')}万元，与{last}年预算持平。"),
            "（二）机关运行经费预算",
            f"{year}年本部门机关运行经费预算为{w('45.60')}万元，主要用于办公费、水电费和物业管理费等。",
        ]),
    ]


def _function_table(spec: SampleSpec) -> tuple[list[list[str]], list[tuple]]:
    """The 支出预算总表 rows and its spans, codes level by level (类/款/项) or whole in one column."""
    total = ["合计", spec.yuan("6,100,000.00"), spec.yuan("4,100,000.00"), spec.yuan("2,000,000.00")]
    figures = [[spec.yuan(v) for v in row[4:]] for row in FUNCTION_ROWS]
    if spec.codes_in_one_column:
        header = [["项目", "", "支出预算", "", ""], ["功能分类科目编码", "功能分类科目名称", "合计", "基本支出", "项目支出"]]
        rows = [["".join(r[:3]), r[3], *f] for r, f in zip(FUNCTION_ROWS, figures)]
        last = len(header) + len(rows)
        spans = [("SPAN", (0, 0), (1, 0)), ("SPAN", (2, 0), (4, 0)), ("SPAN", (0, last), (1, last))]
        return header + rows + [[total[0], "", *total[1:]]], spans
    header = [["项目", "", "", "", "支出预算", "", ""],
              ["功能分类科目编码", "", "", "功能分类科目名称", "合计", "基本支出", "项目支出"],
              ["类", "款", "项", "", "", "", ""]]
    rows = [[*r[:4], *f] for r, f in zip(FUNCTION_ROWS, figures)]
    last = len(header) + len(rows)
    spans = [("SPAN", (0, 0), (3, 0)), ("SPAN", (4, 0), (6, 0)), ("SPAN", (0, 1), (2, 1)), ("SPAN", (3, 1), (3, 2)),
             ("SPAN", (4, 1), (4, 2)), ("SPAN", (5, 1), (5, 2)), ("SPAN", (6, 1), (6, 2)), ("SPAN", (0, last), (3, last))]
    return header + rows + [[total[0], "", "", "", *total[1:]]], spans


def write_sample_pdf(folder: Path, spec: SampleSpec | None = None) -> Path:
    """Write the sample disclosure PDF (the default one, or `spec`'s) into `folder` and return its path
    (overwrites)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    spec = spec or SampleSpec()
    year, yuan, wan = spec.fiscal_year, spec.yuan, spec.wan
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=22, spaceAfter=6)
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 9),
                       ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("ALIGN", (4, 0), (-1, -1), "RIGHT")])

    story: list = []
    for title, paragraphs in narrative(spec):
        story.append(Paragraph(title, heading))
        story += [Paragraph(text, body) for text in paragraphs]
        story.append(PageBreak() if title.startswith(spec.region) else Spacer(1, 12))
    story.append(PageBreak())

    editor = f"编制部门：{spec.department}　　单位：元"
    story += [Paragraph(f"{year}年部门财务收支预算总表", heading), Paragraph(editor, body)]
    finance = [["本年收入", "", "本年支出", ""], ["项目", "预算数", "项目", "预算数"],
               ["一、财政拨款收入", yuan("6,100,000.00"), "一、一般公共服务支出", yuan("5,200,000.00")],
               ["1. 一般公共预算资金", yuan("6,100,000.00"), "二、社会保障和就业支出", yuan("600,000.00")],
               ["二、事业收入", "", "三、住房保障支出", yuan("300,000.00")],
               ["收入总计", yuan("6,100,000.00"), "支出总计", yuan("6,100,000.00")]]
    story.append(Table(finance, style=TableStyle(grid.getCommands() + [("SPAN", (0, 0), (1, 0)), ("SPAN", (2, 0), (3, 0))])))
    story.append(PageBreak())

    story += [Paragraph(f"{year}年部门支出预算总表", heading), Paragraph(editor, body)]
    rows, spans = _function_table(spec)
    story.append(Table(rows, style=TableStyle(grid.getCommands() + spans)))
    story.append(PageBreak())

    story += [Paragraph(f"{year}年部门“三公”经费和机关运行经费预算表", heading),
              Paragraph(f"编制部门：{spec.department}　　单位：万元", body)]
    sangong = [["“三公”经费预算数", "", "", "", "", "", "机关运行经费预算数"],
               ["合计", "因公出国（境）费", "公务用车购置及运行费", "", "", "公务接待费", ""],
               ["", "", "小计", "购置费", "运行费", "", ""],
               [wan("12.50"), "0.00", wan("8.50"), "0.00", wan("8.50"), wan("4.00"), wan("45.60")]]
    spans = [("SPAN", (0, 0), (5, 0)), ("SPAN", (2, 1), (4, 1)), ("SPAN", (0, 1), (0, 2)), ("SPAN", (1, 1), (1, 2)),
             ("SPAN", (5, 1), (5, 2)), ("SPAN", (6, 0), (6, 2))]
    story.append(Table(sangong, style=TableStyle(grid.getCommands() + spans)))

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / spec.file_name
    SimpleDocTemplate(str(path), pagesize=landscape(A4), title=path.stem).build(story)
    return path
