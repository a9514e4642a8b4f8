//! The fixed permission catalogue. Each capability adds its permissions here;
//! names never change once published (they are stored on accounts).

use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    StaffManage,
    AuditRead,
    SystemManage,
    FriendsRead,
    FriendExport,
    SegmentManage,
    DeliveryCreate,
    DeliverySend,
    DeliveryApprove,
    MailinManage,
    ChatbotManage,
    SurveyManage,
    RichmenuManage,
    PassManage,
    CardSettings,
    CardPiiRead,
    CardPiiExport,
    CardPush,
}

/// What the catalogue says of one permission.
pub struct PermissionInfo {
    pub permission: Permission,
    pub name: &'static str,
    /// The group shown in the console (Japanese).
    pub group: &'static str,
    pub description: &'static str,
    /// Personal-data permissions: usable only after a second factor.
    pub requires_second_factor: bool,
}

const fn info(
    permission: Permission,
    name: &'static str,
    group: &'static str,
    description: &'static str,
    requires_second_factor: bool,
) -> PermissionInfo {
    PermissionInfo {
        permission,
        name,
        group,
        description,
        requires_second_factor,
    }
}

use Permission::*;

pub const CATALOGUE: &[PermissionInfo] = &[
    info(
        StaffManage,
        "staff.manage",
        "アカウント管理",
        "職員アカウント・チーム・権限・サービスアカウントの管理",
        // It decides who else sees personal data: it needs a second factor itself.
        true,
    ),
    info(
        AuditRead,
        "audit.read",
        "アカウント管理",
        "操作ログの閲覧",
        false,
    ),
    info(
        SystemManage,
        "system.manage",
        "システム",
        "LINEチャネル設定・鍵・保存期間の管理",
        true,
    ),
    info(
        FriendsRead,
        "friends.read",
        "友だち・属性",
        "友だち数と一覧の閲覧（個人情報を除く）",
        false,
    ),
    info(
        FriendExport,
        "friend.export",
        "友だち・属性",
        "利用者の配信設定を利用者を特定する情報と紐づけてCSV出力",
        true,
    ),
    info(
        SegmentManage,
        "segment.manage",
        "友だち・属性",
        "属性・受信項目・登録フォーム・セグメントの管理",
        false,
    ),
    info(
        DeliveryCreate,
        "delivery.create",
        "配信",
        "配信の作成・下書き・プレビュー・テスト配信",
        false,
    ),
    info(
        DeliverySend,
        "delivery.send",
        "配信",
        "配信の送信・予約",
        false,
    ),
    info(
        DeliveryApprove,
        "delivery.approve",
        "配信",
        "他の職員が作成した配信の承認",
        false,
    ),
    info(
        MailinManage,
        "mailin.manage",
        "配信",
        "メール連携配信のルール管理",
        false,
    ),
    info(
        ChatbotManage,
        "chatbot.manage",
        "FAQ・チャットボット",
        "FAQ・シナリオ・チャットボット統計の管理",
        false,
    ),
    info(
        SurveyManage,
        "survey.manage",
        "アンケート",
        "アンケートの作成・結果の閲覧とCSV出力",
        false,
    ),
    info(
        RichmenuManage,
        "richmenu.manage",
        "リッチメニュー",
        "リッチメニューの登録・編集（広報担当）",
        false,
    ),
    info(
        PassManage,
        "pass.manage",
        "まいたまパス",
        "まいたまパスの画像・テキストの差し替え",
        false,
    ),
    info(
        CardSettings,
        "card.settings",
        "パパママカード",
        "カード画像・注意書き・バーコードの設定",
        false,
    ),
    info(
        CardPiiRead,
        "card.pii.read",
        "パパママカード",
        "カード利用者の個人情報の閲覧",
        true,
    ),
    info(
        CardPiiExport,
        "card.pii.export",
        "パパママカード",
        "カード利用者の個人情報のCSV出力",
        true,
    ),
    info(
        CardPush,
        "card.push",
        "パパママカード",
        "特定のカード利用者へのプッシュ配信",
        true,
    ),
];

/// Permissions whose capability is not built yet: the console marks them
/// 準備中 (they can be granted ahead, and do nothing until it lands). A
/// capability's issue takes its permission off this list.
pub const NOT_YET_AVAILABLE: &[Permission] = &[SystemManage];

impl Permission {
    /// Whether the capability this permission opens exists yet.
    pub fn available(self) -> bool {
        !NOT_YET_AVAILABLE.contains(&self)
    }

    #[allow(
        clippy::expect_used,
        reason = "every variant has its catalogue entry (tested by names_are_unique_and_round_trip)"
    )]
    pub fn info(self) -> &'static PermissionInfo {
        CATALOGUE
            .iter()
            .find(|i| i.permission == self)
            .expect("every permission is in the catalogue")
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn requires_second_factor(self) -> bool {
        self.info().requires_second_factor
    }

    pub fn parse(name: &str) -> Option<Self> {
        CATALOGUE
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.permission)
    }

    pub fn all() -> impl Iterator<Item = Permission> {
        CATALOGUE.iter().map(|i| i.permission)
    }
}

/// A set of permissions, as held by an account or a service token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    /// Reads stored names; unknown names (from a newer or older release) are ignored.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Self {
        Self(
            names
                .iter()
                .filter_map(|n| Permission::parse(n.as_ref()))
                .collect(),
        )
    }

    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|p| p.name().to_string()).collect()
    }

    pub fn needs_second_factor(&self) -> bool {
        self.0.iter().any(|p| p.requires_second_factor())
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<T: IntoIterator<Item = Permission>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Role presets: a convenience for filling in permissions, never stored as such.
pub struct RolePreset {
    pub key: &'static str,
    pub label: &'static str,
    pub permissions: &'static [Permission],
}

pub const PRESETS: &[RolePreset] = &[
    RolePreset {
        key: "administrator",
        label: "システム管理者",
        permissions: &[
            StaffManage,
            AuditRead,
            SystemManage,
            FriendsRead,
            SegmentManage,
        ],
    },
    RolePreset {
        key: "pr",
        label: "広報担当",
        permissions: &[
            FriendsRead,
            SegmentManage,
            DeliveryCreate,
            DeliverySend,
            DeliveryApprove,
            RichmenuManage,
            PassManage,
        ],
    },
    RolePreset {
        key: "sender",
        label: "配信担当",
        permissions: &[FriendsRead, DeliveryCreate, DeliverySend],
    },
    RolePreset {
        key: "chatbot",
        label: "FAQ担当",
        permissions: &[ChatbotManage, SurveyManage],
    },
    RolePreset {
        key: "card",
        label: "パパママカード担当",
        permissions: &[CardSettings, CardPiiRead, CardPiiExport, CardPush],
    },
    RolePreset {
        key: "viewer",
        label: "閲覧のみ",
        permissions: &[FriendsRead],
    },
];

pub fn preset(key: &str) -> Option<&'static RolePreset> {
    PRESETS.iter().find(|p| p.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = BTreeSet::new();
        for i in CATALOGUE {
            assert!(seen.insert(i.name), "duplicate {}", i.name);
            assert_eq!(Permission::parse(i.name), Some(i.permission));
            assert_eq!(i.permission.info().name, i.name);
        }
    }
}
