//! Definitions and inputs are user data: nothing may panic on any of them.
#![allow(clippy::unwrap_used)]

mod common;

use proptest::prelude::*;
use serde_json::{Value, json};
use starling_states::StateMachine;
use starling_states::intrinsics::Intrinsic;
use starling_states::paths::Path;

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            "[ -~]{0,12}",
            Just("$".to_string()),
            Just("$.a".to_string()),
            Just("States.ALL".to_string()),
            Just("Pass".to_string()),
            Just("Task".to_string()),
            Just("Choice".to_string()),
            Just("Map".to_string()),
            Just("Parallel".to_string()),
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("Type".to_string()),
                    Just("Next".to_string()),
                    Just("End".to_string()),
                    Just("StartAt".to_string()),
                    Just("States".to_string()),
                    Just("Parameters".to_string()),
                    Just("x.$".to_string()),
                    Just("Variable".to_string()),
                    Just("Choices".to_string()),
                    "[A-Za-z.$]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Wraps a random state into an otherwise valid machine, to get past the
/// top-level checks more often.
fn as_machine(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn loading_any_json_never_panics(value in arbitrary_json()) {
        let _ = StateMachine::from_value(&value);
        let _ = StateMachine::from_value(&as_machine(value));
    }

    #[test]
    fn loading_any_text_never_panics(text in "\\PC{0,64}") {
        let _ = StateMachine::from_json(&text);
        let _ = starling_states::substitute(&text, &std::collections::HashMap::<String, String>::new());
    }

    #[test]
    fn parsing_any_intrinsic_or_path_never_panics(text in "[ -~]{0,40}") {
        let _ = Intrinsic::parse(&text);
        let _ = Intrinsic::parse(&format!("States.Format({text})"));
        let _ = Path::parse(&text);
        let _ = Path::parse(&format!("$.{text}"));
    }

    #[test]
    fn running_the_fixture_on_any_input_never_panics(input in arbitrary_json()) {
        let machine = common::load("analyse_like.asl.json");
        let handler = common::TestHandler::new(|_, input, _| Ok(input));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let _ = runtime.block_on(common::run_with(&machine, input, &handler));
    }

    #[test]
    fn running_any_loadable_machine_never_panics(state in arbitrary_json(), input in arbitrary_json()) {
        if let Ok(machine) = StateMachine::from_value(&as_machine(state)) {
            let handler = common::TestHandler::new(|_, input, _| Ok(input));
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            let _ = runtime.block_on(common::run_with(&machine, input, &handler));
        }
    }
}

/// Every intrinsic with hostile arguments must fail cleanly, not panic.
#[tokio::test]
async fn intrinsics_with_extreme_arguments_fail_cleanly() {
    let expressions = [
        "States.ArrayRange(-9223372036854775808, 9223372036854775807, 1)",
        "States.MathAdd(9223372036854775807, 1)",
        "States.MathRandom(5, 5)",
        "States.ArrayGetItem(States.Array(1), -1)",
        "States.Base64Decode('////')",
        "States.Hash(1, 'MD5')",
        "States.StringSplit('a', '')",
        "States.JsonMerge(1, 2, false)",
        "States.Format()",
    ];
    for expression in expressions {
        let result = common::run_state(
            json!({"Type": "Pass", "Parameters": {"r.$": expression}, "End": true}),
            json!({}),
        )
        .await;
        assert_eq!(
            common::failure(&result).0,
            "States.IntrinsicFailure",
            "{expression}"
        );
    }
}

#[tokio::test]
async fn huge_wait_does_not_overflow_the_virtual_clock() {
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 18_446_744_073_709_551_615u64, "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime"}, "End": true}}});
    let result = common::run(definition, json!({})).await;
    assert!(common::output(&result)["t"].is_string());
}
