use cqrs_es::test::TestFramework;

use super::*;
use crate::testing::{services, uuid};

type Test = TestFramework<ExternalLogin>;

fn refusal(account_id: Option<Uuid>) -> Refusal {
    Refusal {
        provider: IdentityProvider::Google,
        reason: ExternalLoginFailure::NoAccount,
        account_id,
        user_id: None,
        subject: Some("1234".into()),
        email: Some("ana@example.com".into()),
    }
}

#[tokio::test]
async fn a_refusal_is_recorded_once() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(ExternalLoginCommand::RecordRefusal(Box::new(refusal(None))))
        .await
        .then_expect_events(vec![ExternalLoginEvent::ExternalLoginRefused(refusal(
            None,
        ))]);
    Test::with(services())
        .given(vec![ExternalLoginEvent::ExternalLoginRefused(refusal(
            None,
        ))])
        .when_async(ExternalLoginCommand::RecordRefusal(Box::new(refusal(None))))
        .await
        .then_expect_error(ExternalLoginError::AlreadyRecorded);
}

#[test]
fn a_refusal_belongs_to_its_account_or_to_the_deployment() {
    let mut attempt = ExternalLogin::default();
    assert_eq!(attempt.account_id(), None);
    attempt.apply(ExternalLoginEvent::ExternalLoginRefused(refusal(None)));
    assert_eq!(attempt.account_id(), Some(DEPLOYMENT_ACCOUNT));
    let mut attempt = ExternalLogin::default();
    attempt.apply(ExternalLoginEvent::ExternalLoginRefused(refusal(Some(
        uuid(7),
    ))));
    assert_eq!(attempt.account_id(), Some(uuid(7)));
}

#[test]
fn every_reason_has_its_own_stable_name() {
    let mut names: Vec<&str> = ExternalLoginFailure::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    for reason in ExternalLoginFailure::ALL {
        let json = serde_json::to_value(reason).unwrap();
        assert_eq!(json, serde_json::json!(reason.as_str()));
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), ExternalLoginFailure::ALL.len());
}
