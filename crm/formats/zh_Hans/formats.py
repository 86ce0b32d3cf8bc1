"""zh-Hans number and date-input formats, on top of Django's (FORMAT_MODULE_PATH).

Django's zh_Hans has no thousands separator, so 17825482 showed as 17825482; business
Chinese writes 17,825,482 (groups of three). Date inputs put ISO first, the only value a
browser date picker accepts (see crm.widgets.IsoDateInput)."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = "."

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2016-09-05'
    "%Y/%m/%d",  # '2016/09/05'
    "%Y年%m月%d日",  # '2016年9月5日'
]
