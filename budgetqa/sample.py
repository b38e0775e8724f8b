"""A sample disclosure the project generates itself: a fictional department (上海市示例区示例局) with
made-up figures, laid out like a real Shanghai district 部门预算 (narrative sections, ruled tables
in 元, the 三公 table in 万元). It needs no font file: the PDF names Adobe's standard STSong-Light
CID font, which every PDF reader (and pdfminer) knows.

    pdf_path = write_sample_pdf(Path("data/sample"))
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_FILE = "示例局2025年部门预算.pdf"
DEPARTMENT = "上海市示例区示例局"

NARRATIVE: list[tuple[str, list[str]]] = [
    ("上海市示例区2025年区级部门预算", [f"预算主管部门：{DEPARTMENT}"]),
    ("一、部门主要职能", [
        "上海市示例区示例局是负责本区示例事务的区政府工作部门。主要职能包括：",
        "1.贯彻执行国家和本市有关示例工作的法律、法规和政策。",
        "2.组织编制本区示例事业发展规划并组织实施。",
        "3.承担本区示例数据的统计、分析和发布工作。",
        "4.完成区委、区政府交办的其他任务。",
    ]),
    ("二、部门机构设置", ["上海市示例区示例局部门预算是包括本部的综合收支计划。本部门中，行政单位1家。"]),
    ("三、2025年部门预算编制说明", [
        "2025年，上海市示例区示例局收入预算610.00万元，其中：财政拨款收入610.00万元，比2024年预算减少20.00万元。",
        "支出预算610.00万元，其中：基本支出410.00万元，项目支出200.00万元。",
        "财政拨款收入支出减少的主要原因是项目调整。",
    ]),
    ("四、其他相关情况说明", [
        "（一）“三公”经费预算情况说明",
        "2025年“三公”经费预算数为12.50万元，比2024年预算减少1.50万元。其中：因公出国（境）费0万元，与2024年预算持平；"
        "公务用车购置及运行费8.50万元，比2024年预算减少1.50万元，主要原因是公务用车数量减少；公务接待费4.00万元，与2024年预算持平。",
        "（二）机关运行经费预算",
        "2025年本部门机关运行经费预算为45.60万元，主要用于办公费、水电费和物业管理费等。",
    ]),
]

FUNCTION_ROWS = [  # code, name, total, basic, project (元)
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


def write_sample_pdf(folder: Path) -> Path:
    """Write the sample disclosure PDF into `folder` and return its path (overwrites)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=22, spaceAfter=6)
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 9),
                       ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("ALIGN", (4, 0), (-1, -1), "RIGHT")])

    story: list = []
    for title, paragraphs in NARRATIVE:
        story.append(Paragraph(title, heading))
        story += [Paragraph(text, body) for text in paragraphs]
        story.append(PageBreak() if title.startswith("上海市示例区") else Spacer(1, 12))
    story.append(PageBreak())

    story += [Paragraph("2025年部门财务收支预算总表", heading),
              Paragraph(f"编制部门：{DEPARTMENT}　　单位：元", body)]
    finance = [["本年收入", "", "本年支出", ""], ["项目", "预算数", "项目", "预算数"],
               ["一、财政拨款收入", "6,100,000.00", "一、一般公共服务支出", "5,200,000.00"],
               ["1. 一般公共预算资金", "6,100,000.00", "二、社会保障和就业支出", "600,000.00"],
               ["二、事业收入", "", "三、住房保障支出", "300,000.00"],
               ["收入总计", "6,100,000.00", "支出总计", "6,100,000.00"]]
    story.append(Table(finance, style=TableStyle(grid.getCommands() + [("SPAN", (0, 0), (1, 0)), ("SPAN", (2, 0), (3, 0))])))
    story.append(PageBreak())

    story += [Paragraph("2025年部门支出预算总表", heading), Paragraph(f"编制部门：{DEPARTMENT}　　单位：元", body)]
    header = [["项目", "", "", "", "支出预算", "", ""],
              ["功能分类科目编码", "", "", "功能分类科目名称", "合计", "基本支出", "项目支出"],
              ["类", "款", "项", "", "", "", ""]]
    rows = [list(r) for r in FUNCTION_ROWS] + [["合计", "", "", "", "6,100,000.00", "4,100,000.00", "2,000,000.00"]]
    spans = [("SPAN", (0, 0), (3, 0)), ("SPAN", (4, 0), (6, 0)), ("SPAN", (0, 1), (2, 1)), ("SPAN", (3, 1), (3, 2)),
             ("SPAN", (4, 1), (4, 2)), ("SPAN", (5, 1), (5, 2)), ("SPAN", (6, 1), (6, 2)),
             ("SPAN", (0, len(header) + len(rows) - 1), (3, len(header) + len(rows) - 1))]
    story.append(Table(header + rows, style=TableStyle(grid.getCommands() + spans)))
    story.append(PageBreak())

    story += [Paragraph("2025年部门“三公”经费和机关运行经费预算表", heading),
              Paragraph(f"编制部门：{DEPARTMENT}　　单位：万元", body)]
    sangong = [["“三公”经费预算数", "", "", "", "", "", "机关运行经费预算数"],
               ["合计", "因公出国（境）费", "公务用车购置及运行费", "", "", "公务接待费", ""],
               ["", "", "小计", "购置费", "运行费", "", ""],
               ["12.50", "0.00", "8.50", "0.00", "8.50", "4.00", "45.60"]]
    spans = [("SPAN", (0, 0), (5, 0)), ("SPAN", (2, 1), (4, 1)), ("SPAN", (0, 1), (0, 2)), ("SPAN", (1, 1), (1, 2)),
             ("SPAN", (5, 1), (5, 2)), ("SPAN", (6, 0), (6, 2))]
    story.append(Table(sangong, style=TableStyle(grid.getCommands() + spans)))

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SAMPLE_FILE
    SimpleDocTemplate(str(path), pagesize=landscape(A4), title="示例局2025年部门预算").build(story)
    return path
