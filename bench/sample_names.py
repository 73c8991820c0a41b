"""Realistic names and companies shared by the benchmarks (Japanese with kana readings,
German with umlauts), so every benchmark writes the same kind of text."""

JP_FAMILY = [("山田", "ヤマダ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"),
             ("田中", "タナカ"), ("伊藤", "イトウ"), ("渡辺", "ワタナベ"),
             ("中村", "ナカムラ")]  # fmt: skip
JP_GIVEN = [("太郎", "タロウ"), ("花子", "ハナコ"), ("健一", "ケンイチ"), ("由美", "ユミ"),
            ("翔太", "ショウタ"), ("美咲", "ミサキ"), ("大輔", "ダイスケ")]  # fmt: skip
DE_FAMILY = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"]
DE_GIVEN = ["Jürgen", "Anna", "Lukas", "Sophie", "Maximilian", "Lea", "Jörg", "Käthe"]
JP_COMPANY = ["山田製作所", "東京精密工業株式会社", "大阪ロボティクス", "株式会社ミライ電子"]
DE_COMPANY = ["Müller & Söhne GmbH", "Schmidt Automation AG", "Weber Präzisionstechnik KG"]
