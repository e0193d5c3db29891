//! The demo district's people: a second system administrator, two district supervisors
//! and one for education, an auditor, an HR officer, an administrator for every unit and
//! custodians in the larger ones — among them the custodian who leaves and the
//! successor who takes over. Created by the first administrator through the identity
//! service; what they do later in the history is done *as* them (see [`Person::acting`]).

use zeroize::Zeroizing;

use super::DemoError;
use super::units::{EDUCATION, GOVERNMENT_OFFICE};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::{AuthContext, Grant, Principal, Role};
use crate::identity::manage::{create_user, grant};
use crate::identity::{NewUser, SessionKind};
use crate::ids::{UnitId, UserId};
use crate::tenancy::Unit;

/// Where a person or a role sits: the root, or a unit of [`UNITS`] by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Root,
    Unit(usize),
}

/// One person as listed.
#[derive(Debug, Clone)]
pub struct PersonSpec {
    pub username: &'static str,
    pub name: &'static str,
    pub home: Place,
    pub roles: Vec<(Place, Role)>,
}

/// The custodian of 区教委 who leaves (the departure case).
pub const LEAVER: &str = "zhouxu";
/// Who takes over the leaver's accounts.
pub const SUCCESSOR: &str = "wuting";
/// The HR officer who reports the departure.
pub const HR: &str = "zhaomin";
/// The district supervisor who reviews rectifications.
pub const SUPERVISOR: &str = "zhangjian";

/// One administrator per unit, in [`UNITS`] order.
const UNIT_ADMINS: [(&str, &str); 30] = [
    ("liming", "李明"),
    ("hejing", "何静"),
    ("yangfan", "杨帆"),
    ("huanglei", "黄磊"),
    ("guoting", "郭婷"),
    ("machao", "马超"),
    ("luomin", "罗敏"),
    ("liangyong", "梁勇"),
    ("songjia", "宋佳"),
    ("zhengkai", "郑凯"),
    ("xiefang", "谢芳"),
    ("hanbing", "韩冰"),
    ("tangwei", "唐伟"),
    ("fengxue", "冯雪"),
    ("yuyang", "于洋"),
    ("donglei", "董磊"),
    ("xiaoran", "萧然"),
    ("chengchen", "程晨"),
    ("caoyang", "曹阳"),
    ("yuanli", "袁丽"),
    ("denggang", "邓刚"),
    ("xujuan", "许娟"),
    ("fuqiang", "傅强"),
    ("shenlin", "沈琳"),
    ("zengtao", "曾涛"),
    ("pengli", "彭丽"),
    ("lvjun", "吕军"),
    ("sumin", "苏敏"),
    ("lupeng", "卢鹏"),
    ("jiangdan", "蒋丹"),
];

/// Custodians (保管人) of the larger units: (unit index, username, name).
const CUSTODIANS: [(usize, &str, &str); 14] = [
    (GOVERNMENT_OFFICE, "caiwen", "蔡文"),
    (GOVERNMENT_OFFICE, "jialei", "贾蕾"),
    (3, "dinglei", "丁磊"),
    (4, "weixing", "魏星"),
    (EDUCATION, LEAVER, "周旭"),
    (EDUCATION, SUCCESSOR, "吴婷"),
    (7, "xuefeng", "薛峰"),
    (13, "yeqing", "叶青"),
    (14, "yanhong", "阎红"),
    (17, "yujie", "余洁"),
    (17, "panyue", "潘越"),
    (19, "dujuan", "杜娟"),
    (20, "daiwei", "戴伟"),
    (24, "xiayu", "夏雨"),
];

/// Everyone but the first administrator (created with the root unit).
pub fn cast() -> Vec<PersonSpec> {
    let one = |username, name, home, role_place, role| PersonSpec {
        username,
        name,
        home,
        roles: vec![(role_place, role)],
    };
    let mut out = vec![
        one(
            "wangqiang",
            "王强",
            Place::Unit(16),
            Place::Root,
            Role::Sysadmin,
        ),
        one(
            SUPERVISOR,
            "张建",
            Place::Unit(GOVERNMENT_OFFICE),
            Place::Root,
            Role::Supervisor,
        ),
        one(
            "liuyang",
            "刘洋",
            Place::Unit(4),
            Place::Root,
            Role::Supervisor,
        ),
        one(
            "chenjing",
            "陈静",
            Place::Unit(EDUCATION),
            Place::Unit(EDUCATION),
            Role::Supervisor,
        ),
        one("sunli", "孙丽", Place::Unit(0), Place::Root, Role::Auditor),
        one(HR, "赵敏", Place::Unit(2), Place::Root, Role::Hr),
    ];
    for (i, (username, name)) in UNIT_ADMINS.iter().enumerate() {
        out.push(one(
            username,
            name,
            Place::Unit(i),
            Place::Unit(i),
            Role::UnitAdmin,
        ));
    }
    for (unit, username, name) in CUSTODIANS {
        out.push(one(
            username,
            name,
            Place::Unit(unit),
            Place::Unit(unit),
            Role::Custodian,
        ));
    }
    out
}

/// A person once created: who they are, what they hold, and the password to print.
#[derive(Clone)]
pub struct Person {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub home: Place,
    /// Role, unit id and unit path of each grant.
    pub grants: Vec<Grant>,
    pub roles: Vec<(Place, Role)>,
    pub password: Zeroizing<String>,
}

impl Person {
    /// The person at work, as after signing in with a second factor: what the history
    /// does in their name goes through the services with their roles, and the audit
    /// trail names them. (No session is created; nothing is revealed to anyone.)
    pub fn acting(&self) -> AuthContext {
        AuthContext {
            principal: Principal::User {
                id: self.id.as_str().to_string(),
                username: self.username.clone(),
            },
            grants: self.grants.clone(),
            session: SessionKind::Full,
            second_factor: true,
            token_hash: String::new(),
        }
    }

    pub fn holds(&self, role: Role) -> bool {
        self.roles.iter().any(|(_, r)| *r == role)
    }
}

/// The unit a place names.
pub fn unit_of<'a>(place: Place, root: &'a Unit, units: &'a [Unit]) -> Result<&'a Unit, DemoError> {
    match place {
        Place::Root => Ok(root),
        Place::Unit(i) => units
            .get(i)
            .ok_or_else(|| DemoError::bug("a person names a unit that is not listed")),
    }
}

/// Creates every person of [`cast`] and grants their roles, as the first administrator.
pub async fn create(
    state: &AppState,
    admin: &Person,
    root: &Unit,
    units: &[Unit],
) -> Result<Vec<Person>, DemoError> {
    let ctx = admin.acting();
    let meta = RequestMeta::default();
    let mut out = Vec::new();
    for spec in cast() {
        let home = unit_of(spec.home, root, units)?;
        let (user, password) = create_user(
            state,
            &ctx,
            &meta,
            NewUser {
                username: spec.username.to_string(),
                display_name: spec.name.to_string(),
                password: None,
                phone: None,
                email: None,
                unit_id: Some(UnitId::new(home.id.as_str())),
            },
        )
        .await
        .map_err(|e| DemoError::step("creating the people", e))?;
        let password =
            password.ok_or_else(|| DemoError::bug("no password was generated for a new user"))?;
        let mut grants = Vec::new();
        for (place, role) in &spec.roles {
            let unit = unit_of(*place, root, units)?;
            grant(state, &ctx, &meta, &unit.id, &user.id, *role)
                .await
                .map_err(|e| DemoError::step("granting the people their roles", e))?;
            grants.push(Grant {
                unit_id: unit.id.to_string(),
                unit_path: unit.path.clone(),
                role: *role,
            });
        }
        out.push(Person {
            id: user.id,
            username: user.username,
            name: spec.name.to_string(),
            home: spec.home,
            grants,
            roles: spec.roles,
            password,
        });
    }
    Ok(out)
}

/// The person called `username` (a name from this file).
pub fn named<'a>(people: &'a [Person], username: &str) -> Result<&'a Person, DemoError> {
    people
        .iter()
        .find(|p| p.username == username)
        .ok_or_else(|| DemoError::bug("a person the history needs is not in the cast"))
}

/// The username of the administrator of unit `index`.
pub fn unit_admin_name(index: usize) -> &'static str {
    UNIT_ADMINS[index].0
}

/// The administrator of unit `index`.
pub fn unit_admin(people: &[Person], index: usize) -> Result<&Person, DemoError> {
    named(people, UNIT_ADMINS[index].0)
}

/// The custodians (custodian role) of unit `index`.
pub fn custodians_of(people: &[Person], index: usize) -> Vec<&Person> {
    people
        .iter()
        .filter(|p| p.roles.contains(&(Place::Unit(index), Role::Custodian)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::units::UNITS;
    use super::*;

    #[test]
    fn every_role_is_there_and_usernames_are_unique() {
        let cast = cast();
        for role in [
            Role::Sysadmin,
            Role::Supervisor,
            Role::UnitAdmin,
            Role::Custodian,
            Role::Hr,
            Role::Auditor,
        ] {
            assert!(cast.iter().any(|p| p.roles.iter().any(|(_, r)| *r == role)));
        }
        for p in &cast {
            assert_eq!(
                cast.iter().filter(|o| o.username == p.username).count(),
                1,
                "{} twice",
                p.username
            );
            assert_ne!(p.username, "admin");
        }
        assert_eq!(UNIT_ADMINS.len(), UNITS.len());
    }
}
