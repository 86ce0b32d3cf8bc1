"""Word lists the demo generator composes names, addresses and notes from.

Plain tuples, no logic: the generator picks indices into them with numpy, so a longer list
means more variety at no cost. Every text is free of tabs, newlines and backslashes because
it is streamed into PostgreSQL COPY text format unescaped."""

# fmt: off

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛"
)

GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "华", "建国", "红", "志强",
    "海燕", "欣怡", "子涵", "梓萱", "浩然", "宇轩", "雨桐", "思远", "嘉怡", "俊杰", "晓东",
    "佳琪", "一鸣", "若曦", "天佑", "心怡", "明轩", "诗涵", "立新", "国栋", "玉兰", "春燕",
    "振宇", "雅婷", "昊天", "晨曦", "梦瑶", "家豪", "慧敏", "志远", "海峰", "婷婷",
)

EN_FIRST = (
    "Emily", "James", "Olivia", "Daniel", "Sophia", "Michael", "Grace", "David", "Chloe",
    "William", "Hannah", "Lucas", "Amelia", "Ethan", "Mia", "Noah", "Isabella", "Jack", "Zoe",
    "Ryan", "Ava", "Leo", "Ella", "Adam", "Lily", "Oscar", "Sarah", "Kevin", "Laura", "Tom",
    "Nina", "Peter", "Julia", "Mark", "Anna", "Victor", "Helen", "Samuel", "Clara", "Martin",
)

EN_LAST = (
    "Chen", "Smith", "Wong", "Johnson", "Lee", "Brown", "Tan", "Miller", "Lim", "Garcia", "Davis",
    "Ng", "Wilson", "Taylor", "Anderson", "Thomas", "Moore", "Martin", "Clark", "Lewis", "Walker",
    "Young", "Hall", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
    "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker",
)

# (Chinese brand word, its romanisation for e-mail and web domains)
BRANDS_ZH = (
    ("明远", "mingyuan"), ("华信", "huaxin"), ("恒泰", "hengtai"), ("鼎盛", "dingsheng"),
    ("宏达", "hongda"), ("瑞丰", "ruifeng"), ("金桥", "jinqiao"), ("永安", "yongan"),
    ("天成", "tiancheng"), ("新辰", "xinchen"), ("博远", "boyuan"), ("嘉禾", "jiahe"),
    ("众合", "zhonghe"), ("中盛", "zhongsheng"), ("海川", "haichuan"), ("锦程", "jincheng"),
    ("卓越", "zhuoyue"), ("华瑞", "huarui"), ("远航", "yuanhang"), ("立信", "lixin"),
    ("德润", "derun"), ("汇通", "huitong"), ("启明", "qiming"), ("凯达", "kaida"),
    ("同创", "tongchuang"), ("盛世", "shengshi"), ("万向", "wanxiang"), ("青松", "qingsong"),
    ("云帆", "yunfan"), ("星河", "xinghe"), ("长风", "changfeng"), ("和顺", "heshun"),
    ("晨光", "chenguang"), ("兴业", "xingye"), ("利民", "limin"), ("正泰", "zhengtai"),
    ("安捷", "anjie"), ("绿源", "lvyuan"), ("东润", "dongrun"), ("北辰", "beichen"),
)

BRANDS_EN = (
    "Brightway", "Northstar", "Bluepeak", "Silverline", "Evergreen", "Harbor", "Summit",
    "Crestview", "Oakridge", "Redwood", "Pioneer", "Keystone", "Lakeside", "Sterling", "Trident",
    "Meridian", "Horizon", "Apex", "Granite", "Sunrise", "Falcon", "Westbrook", "Ironbridge",
    "Clearwater", "Goldleaf", "Riverside", "Nova", "Atlas", "Beacon", "Cedar",
)

# Industry value → (Chinese business words, English business words). The key order matches
# customers.models.Industry so the generator can index by position.
INDUSTRY_WORDS = {
    "manufacturing": (
        ("机械", "精密制造", "五金", "模具", "电气设备"),
        ("Machinery", "Precision Works", "Hardware", "Tooling", "Electric"),
    ),
    "retail": (
        ("商贸", "百货", "电子商务", "连锁超市", "贸易"),
        ("Trading", "Retail", "E-commerce", "Stores", "Merchants"),
    ),
    "technology": (
        ("信息技术", "软件", "网络科技", "数据科技", "智能科技"),
        ("Software", "Technologies", "Systems", "Data", "Digital"),
    ),
    "finance": (
        ("融资租赁", "保险代理", "投资", "资产管理", "金融服务"),
        ("Capital", "Insurance", "Investments", "Asset Management", "Finance"),
    ),
    "healthcare": (
        ("医疗器械", "医药", "健康管理", "生物科技", "诊所管理"),
        ("Medical", "Pharma", "Health", "Biotech", "Clinics"),
    ),
    "education": (
        ("教育科技", "培训", "文化传播", "职业教育", "书业"),
        ("Education", "Learning", "Academy", "Training", "Publishing"),
    ),
    "construction": (
        ("建设工程", "建材", "装饰工程", "置业", "钢结构"),
        ("Construction", "Building Materials", "Interiors", "Properties", "Steel Structures"),
    ),
    "logistics": (
        ("物流", "供应链", "货运代理", "仓储", "快运"),
        ("Logistics", "Supply Chain", "Freight", "Warehousing", "Express"),
    ),
    "energy": (
        ("能源", "新能源", "电力工程", "燃气", "光伏科技"),
        ("Energy", "Renewables", "Power", "Gas", "Solar"),
    ),
    "agriculture": (
        ("农业科技", "食品", "农产品", "种业", "生态农业"),
        ("Agritech", "Foods", "Farm Produce", "Seeds", "Organics"),
    ),
    "hospitality": (
        ("酒店管理", "旅行社", "餐饮管理", "文旅", "会展服务"),
        ("Hotels", "Travel", "Catering", "Leisure", "Events"),
    ),
    "consumer": (
        ("生活馆", "家居", "日用品", "服饰", "个护"),
        ("Living", "Home", "Goods", "Apparel", "Care"),
    ),
    "other": (
        ("实业", "综合服务", "咨询", "发展", "企业服务"),
        ("Enterprises", "Services", "Consulting", "Holdings", "Partners"),
    ),
}

COMPANY_SUFFIX_ZH = ("有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司")

COMPANY_SUFFIX_EN = ("Ltd", "Co., Ltd.", "Inc.", "Group", "Pte. Ltd.", "GmbH")

# Region value → (cities, phone area codes aligned with cities, 6-digit division codes)
REGION_CITIES = {
    "east": (
        ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "济南", "福州"),
        ("021", "0571", "025", "0512", "0574", "0551", "0531", "0591"),
    ),
    "south": (
        ("广州", "深圳", "东莞", "佛山", "厦门", "南宁", "海口"),
        ("020", "0755", "0769", "0757", "0592", "0771", "0898"),
    ),
    "north": (
        ("北京", "天津", "石家庄", "太原", "呼和浩特"), ("010", "022", "0311", "0351", "0471")
    ),
    "central": (("武汉", "长沙", "郑州", "南昌"), ("027", "0731", "0371", "0791")),
    "southwest": (("成都", "重庆", "昆明", "贵阳"), ("028", "023", "0871", "0851")),
    "northwest": (("西安", "兰州", "乌鲁木齐", "银川"), ("029", "0931", "0991", "0951")),
    "northeast": (("沈阳", "大连", "哈尔滨", "长春"), ("024", "0411", "0451", "0431")),
    "overseas": (
        (
            "Singapore", "Tokyo", "London", "Frankfurt", "Sydney", "Dubai", "Los Angeles",
            "Jakarta",
        ),
        ("+65", "+81", "+44", "+49", "+61", "+971", "+1", "+62"),
    ),
}

DISTRICTS = ("高新区", "经开区", "滨江区", "工业园区", "新区", "中心区", "开发区", "保税区")

ROADS = (
    "建设路", "人民路", "科技路", "长江路", "中山路", "解放路", "创业大道", "学府路", "文化路",
    "滨河路",
)

EN_STREETS = (
    "Harbour Road", "King Street", "Market Street", "Park Avenue", "Station Road", "Queen's Road",
    "Bay Street", "Hill Road",
)

# Contact job titles by decision-chain role (DecisionRole order): Chinese, English.
TITLES = {
    "decision_maker": (
        ("总经理", "采购总监", "董事长", "副总裁", "运营总监"),
        ("General Manager", "Head of Procurement", "Managing Director", "Vice President", "COO"),
    ),
    "influencer": (
        ("技术经理", "财务经理", "项目经理", "总工程师"),
        ("Technical Manager", "Finance Manager", "Project Manager", "Chief Engineer"),
    ),
    "user": (
        ("工程师", "运营主管", "车间主任", "产品专员"),
        ("Engineer", "Operations Lead", "Plant Supervisor", "Product Specialist"),
    ),
    "gatekeeper": (
        ("行政助理", "采购专员", "前台", "总经理秘书"),
        ("Office Assistant", "Buyer", "Receptionist", "Executive Assistant"),
    ),
}

# (code, Chinese name, English name, typical unit price in yuan, margin) — six products each.
CATEGORIES = (
    ("IND-EQP", "工业设备", "Industrial equipment", 48000, 0.28),
    ("SPARE", "备品备件", "Spare parts", 1200, 0.45),
    ("SW-LIC", "软件许可", "Software licences", 15000, 0.72),
    ("CLOUD", "云服务订阅", "Cloud subscriptions", 3600, 0.6),
    ("CONSUM", "耗材", "Consumables", 480, 0.35),
    ("OFFICE", "办公用品", "Office supplies", 260, 0.3),
    ("SVC-MNT", "维保服务", "Maintenance services", 6800, 0.55),
    ("TRAIN", "培训与咨询", "Training and consulting", 9800, 0.5),
    ("SAFETY", "安全防护", "Safety equipment", 2100, 0.38),
    ("LOGI", "物流包装", "Logistics packaging", 900, 0.25),
)

PRODUCT_TIERS = (
    ("基础版", "Basic", 0.5), ("标准版", "Standard", 1.0), ("专业版", "Professional", 1.8),
    ("企业版", "Enterprise", 3.5), ("经济装", "Value pack", 0.7), ("旗舰款", "Flagship", 5.0),
)

# Contact-log summaries by outcome (ContactOutcome order): Chinese, English.
LOG_SUMMARIES = {
    "reached": (
        ("电话沟通了近期采购计划", "回访了上次订单的使用情况", "介绍了新品和价格"),
        (
            "Talked through upcoming purchases", "Checked how the last order is used",
            "Presented new products and prices",
        ),
    ),
    "no_answer": (
        ("电话未接通，稍后再联系", "留言未回复"),
        ("No answer, will call again", "Left a message, no reply"),
    ),
    "interested": (
        ("对新方案有兴趣，索要报价", "希望安排产品演示"),
        ("Interested in the new offer, asked for a quote", "Wants a product demo"),
    ),
    "not_interested": (
        ("暂无采购需求", "预算已冻结，明年再议"),
        ("No need at the moment", "Budget frozen until next year"),
    ),
    "follow_up": (
        ("约定下周再沟通细节", "等待对方内部审批后跟进"),
        ("Agreed to go over details next week", "Follow up after their approval"),
    ),
    "order": (
        ("确认下单，安排发货", "签订年度框架协议"),
        ("Order confirmed, shipping arranged", "Signed an annual framework agreement"),
    ),
    "complaint": (
        ("反映交货延迟，已登记投诉", "对售后响应速度不满"),
        (
            "Complained about late delivery, case logged",
            "Unhappy with after-sales response time",
        ),
    ),
}

CASE_SUBJECTS = {
    "complaint": (
        ("交货延迟", "发票开具错误", "服务态度投诉", "包装破损"),
        ("Late delivery", "Wrong invoice", "Service attitude", "Damaged packaging"),
    ),
    "return": (
        ("型号不符退货", "质量问题退货", "多发货退回"),
        ("Wrong model returned", "Returned for a quality defect", "Surplus goods returned"),
    ),
    "repair": (
        ("设备故障返修", "部件更换", "保修期内维修"),
        ("Equipment fault repair", "Part replacement", "Repair under warranty"),
    ),
}

SURVEY_COMMENTS = (
    ("", ""), ("服务很及时", "Quick service"), ("价格偏高", "A bit expensive"),
    ("产品质量稳定", "Reliable quality"), ("希望加快交付", "Delivery could be faster"),
)

# fmt: on
