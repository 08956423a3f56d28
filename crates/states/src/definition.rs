//! Loading and validating a state machine definition into typed states.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::choice::{self, ChoiceRule};
use crate::error::DefinitionError;
use crate::intrinsics::Intrinsic;
use crate::paths::Path;
use crate::retry::{self, Catcher, ResultPath, Retrier};
use crate::template::Template;

/// A validated state machine (or a Parallel branch, or a Map's item processor).
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub(crate) start_at: String,
    pub(crate) states: HashMap<String, State>,
    pub(crate) timeout_seconds: Option<u64>,
    pub(crate) comment: Option<String>,
}

/// One state of a machine.
#[derive(Debug, Clone)]
pub struct State {
    /// Its name.
    pub name: String,
    /// `InputPath` (absent means `$`).
    pub input_path: IoPath,
    /// `OutputPath` (absent means `$`).
    pub output_path: IoPath,
    /// What the state does.
    pub kind: StateKind,
}

/// An `InputPath` or `OutputPath`.
#[derive(Debug, Clone)]
pub enum IoPath {
    /// A path selecting part of the document.
    Path(Path),
    /// `null`: the state sees (or outputs) `{}`.
    Null,
}

/// Where a state goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// `Next`.
    Next(String),
    /// `End: true`.
    End,
}

/// How long a Task may run.
#[derive(Debug, Clone)]
pub enum TaskTimeout {
    /// `TimeoutSeconds`.
    Seconds(u64),
    /// `TimeoutSecondsPath`.
    Path(Path),
}

/// What a Wait state waits for.
#[derive(Debug, Clone)]
pub enum WaitFor {
    /// `Seconds`.
    Seconds(u64),
    /// `SecondsPath`.
    SecondsPath(Path),
    /// `Timestamp`.
    Timestamp(DateTime<Utc>),
    /// `TimestampPath`.
    TimestampPath(Path),
}

/// A Fail state's `Error` or `Cause`: literal, or from a path or intrinsic.
#[derive(Debug, Clone)]
pub enum FailText {
    /// `Error` / `Cause`.
    Literal(String),
    /// `ErrorPath` / `CausePath` holding a path.
    Path(Path),
    /// `ErrorPath` / `CausePath` holding an intrinsic function.
    Intrinsic(Intrinsic),
}

/// An integer setting given literally or by a `...Path` field.
#[derive(Debug, Clone)]
pub enum Setting {
    /// The literal value.
    Value(f64),
    /// Read from the state's input.
    Path(Path),
}

/// The fields shared by Task, Parallel and Map.
#[derive(Debug, Clone, Default)]
pub struct Processing {
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPath,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
}

/// The type-specific part of a state.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum StateKind {
    /// `Pass`.
    Pass {
        /// `Parameters`.
        parameters: Option<Template>,
        /// `Result`.
        result: Option<Value>,
        /// `ResultPath`.
        result_path: ResultPath,
        /// `Next` or `End`.
        transition: Transition,
    },
    /// `Task`.
    Task {
        /// `Resource`.
        resource: String,
        /// Parameters, ResultSelector, ResultPath, Retry, Catch.
        processing: Processing,
        /// `TimeoutSeconds` or `TimeoutSecondsPath`.
        timeout: Option<TaskTimeout>,
        /// `Next` or `End`.
        transition: Transition,
    },
    /// `Choice`.
    Choice {
        /// `Choices`.
        choices: Vec<ChoiceRule>,
        /// `Default`.
        default: Option<String>,
    },
    /// `Wait`.
    Wait {
        /// What to wait for.
        wait: WaitFor,
        /// `Next` or `End`.
        transition: Transition,
    },
    /// `Succeed`.
    Succeed,
    /// `Fail`.
    Fail {
        /// `Error` or `ErrorPath`.
        error: Option<FailText>,
        /// `Cause` or `CausePath`.
        cause: Option<FailText>,
    },
    /// `Parallel`.
    Parallel {
        /// `Branches`.
        branches: Vec<StateMachine>,
        /// Parameters, ResultSelector, ResultPath, Retry, Catch.
        processing: Processing,
        /// `Next` or `End`.
        transition: Transition,
    },
    /// `Map`.
    Map {
        /// `ItemProcessor` or `Iterator`.
        processor: Box<StateMachine>,
        /// `ItemsPath` (absent means `$`).
        items_path: Path,
        /// `ItemSelector` or the legacy `Parameters`.
        item_selector: Option<Template>,
        /// ResultSelector, ResultPath, Retry, Catch (Parameters unused).
        processing: Processing,
        /// `MaxConcurrency` / `MaxConcurrencyPath` (0 = unbounded).
        max_concurrency: Option<Setting>,
        /// `ToleratedFailureCount` / `ToleratedFailureCountPath`.
        tolerated_failure_count: Option<Setting>,
        /// `ToleratedFailurePercentage` / `ToleratedFailurePercentagePath`.
        tolerated_failure_percentage: Option<Setting>,
        /// `Next` or `End`.
        transition: Transition,
    },
}

impl StateKind {
    /// The ASL type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Pass { .. } => "Pass",
            Self::Task { .. } => "Task",
            Self::Choice { .. } => "Choice",
            Self::Wait { .. } => "Wait",
            Self::Succeed => "Succeed",
            Self::Fail { .. } => "Fail",
            Self::Parallel { .. } => "Parallel",
            Self::Map { .. } => "Map",
        }
    }
}

impl StateMachine {
    /// Parses and validates a definition (JSONPath query language).
    pub fn from_json(definition: &str) -> Result<Self, DefinitionError> {
        let value: Value =
            serde_json::from_str(definition).map_err(|e| DefinitionError::Json(e.to_string()))?;
        Self::from_value(&value)
    }

    /// Fills `${Name}` placeholders from `substitutions`, then parses the result.
    pub fn from_json_with_substitutions<S: std::hash::BuildHasher>(
        definition: &str,
        substitutions: &HashMap<String, String, S>,
    ) -> Result<Self, DefinitionError> {
        Self::from_json(&substitute(definition, substitutions)?)
    }

    /// Parses and validates an already decoded definition.
    pub fn from_value(value: &Value) -> Result<Self, DefinitionError> {
        let machine = parse_machine(value, "top level", true)?;
        let mut seen = HashSet::new();
        check_unique_names(&machine, &mut seen)?;
        Ok(machine)
    }

    /// The name of the first state.
    pub fn start_at(&self) -> &str {
        &self.start_at
    }

    /// The top-level `TimeoutSeconds`, if any.
    pub fn timeout_seconds(&self) -> Option<u64> {
        self.timeout_seconds
    }

    /// The top-level `Comment`, if any.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The names of the states at this level, sorted.
    pub fn state_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.states.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The state called `name` at this level.
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }
}

/// Replaces every `${Name}` in `definition` by its value in `substitutions`,
/// as CDK's `DefinitionSubstitutions` do. A placeholder's name is an
/// identifier (letters, digits, `_` and inner dots, not starting with a
/// digit); a placeholder without a value is an error. Anything else, such as
/// `${...}` in a Comment, is left as written.
pub fn substitute<S: std::hash::BuildHasher>(
    definition: &str,
    substitutions: &HashMap<String, String, S>,
) -> Result<String, DefinitionError> {
    let mut out = String::with_capacity(definition.len());
    let mut rest = definition;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let is_identifier =
            name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && !name.ends_with('.');
        if !is_identifier || !after[name_len..].starts_with('}') {
            out.push_str("${");
            rest = after;
            continue;
        }
        match substitutions.get(name) {
            Some(value) => out.push_str(value),
            None => return Err(DefinitionError::UnfilledPlaceholder(name.to_string())),
        }
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn check_unique_names(
    machine: &StateMachine,
    seen: &mut HashSet<String>,
) -> Result<(), DefinitionError> {
    let mut names: Vec<&String> = machine.states.keys().collect();
    names.sort();
    for name in names {
        if !seen.insert(name.clone()) {
            return Err(DefinitionError::invalid(
                format!("state \"{name}\""),
                "state names must be unique across the whole state machine",
            ));
        }
        match &machine.states[name].kind {
            StateKind::Parallel { branches, .. } => {
                for branch in branches {
                    check_unique_names(branch, seen)?;
                }
            }
            StateKind::Map { processor, .. } => check_unique_names(processor, seen)?,
            _ => {}
        }
    }
    Ok(())
}

fn parse_machine(
    value: &Value,
    location: &str,
    top: bool,
) -> Result<StateMachine, DefinitionError> {
    let invalid = |message: String| DefinitionError::invalid(location, message);
    let Some(map) = value.as_object() else {
        return Err(invalid("must be a JSON object".into()));
    };
    let allowed: &[&str] = if top {
        &[
            "Comment",
            "StartAt",
            "States",
            "TimeoutSeconds",
            "Version",
            "QueryLanguage",
        ]
    } else {
        &["Comment", "StartAt", "States", "ProcessorConfig"]
    };
    if let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(format!("unknown field '{key}'")));
    }
    if let Some(language) = map.get("QueryLanguage")
        && language != "JSONPath"
    {
        return Err(invalid(
            "only the JSONPath query language is supported".into(),
        ));
    }
    let start_at = match map.get("StartAt") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(invalid("StartAt must be a state name".into())),
    };
    let Some(Value::Object(states_map)) = map.get("States") else {
        return Err(invalid("States must be an object".into()));
    };
    if states_map.is_empty() {
        return Err(invalid("States must not be empty".into()));
    }
    let timeout_seconds = match map.get("TimeoutSeconds") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid("TimeoutSeconds must be a positive integer".into()))?,
        ),
    };
    let comment = map
        .get("Comment")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut states = HashMap::with_capacity(states_map.len());
    for (name, state) in states_map {
        states.insert(name.clone(), parse_state(name, state)?);
    }
    if !states.contains_key(&start_at) {
        return Err(invalid(format!("StartAt '{start_at}' is not a state")));
    }
    let machine = StateMachine {
        start_at,
        states,
        timeout_seconds,
        comment,
    };
    check_targets(&machine)?;
    check_reachable(&machine, location)?;
    Ok(machine)
}

fn targets(state: &State) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    let transition = match &state.kind {
        StateKind::Pass { transition, .. }
        | StateKind::Task { transition, .. }
        | StateKind::Wait { transition, .. }
        | StateKind::Parallel { transition, .. }
        | StateKind::Map { transition, .. } => Some(transition),
        _ => None,
    };
    if let Some(Transition::Next(next)) = transition {
        out.push(("Next", next.as_str()));
    }
    match &state.kind {
        StateKind::Choice { choices, default } => {
            for rule in choices {
                out.push(("a choice rule's Next", rule.next.as_str()));
            }
            if let Some(default) = default {
                out.push(("Default", default.as_str()));
            }
        }
        StateKind::Task { processing, .. }
        | StateKind::Parallel { processing, .. }
        | StateKind::Map { processing, .. } => {
            for catcher in &processing.catch {
                out.push(("a catcher's Next", catcher.next.as_str()));
            }
        }
        _ => {}
    }
    out
}

fn check_targets(machine: &StateMachine) -> Result<(), DefinitionError> {
    let mut names: Vec<&String> = machine.states.keys().collect();
    names.sort();
    for name in names {
        for (field, target) in targets(&machine.states[name]) {
            if !machine.states.contains_key(target) {
                return Err(DefinitionError::invalid(
                    format!("state \"{name}\""),
                    format!("{field} '{target}' is not a state at this level"),
                ));
            }
        }
    }
    Ok(())
}

fn check_reachable(machine: &StateMachine, location: &str) -> Result<(), DefinitionError> {
    let mut reached: HashSet<&str> = HashSet::new();
    let mut stack = vec![machine.start_at.as_str()];
    while let Some(name) = stack.pop() {
        if !reached.insert(name) {
            continue;
        }
        if let Some(state) = machine.states.get(name) {
            stack.extend(targets(state).into_iter().map(|(_, t)| t));
        }
    }
    let mut unreachable: Vec<&String> = machine
        .states
        .keys()
        .filter(|name| !reached.contains(name.as_str()))
        .collect();
    unreachable.sort();
    match unreachable.first() {
        Some(name) => Err(DefinitionError::invalid(
            format!("state \"{name}\""),
            format!("is not reachable from StartAt ({location})"),
        )),
        None => Ok(()),
    }
}

struct Fields<'a> {
    name: &'a str,
    map: &'a Map<String, Value>,
}

impl Fields<'_> {
    fn err(&self, message: impl Into<String>) -> DefinitionError {
        DefinitionError::invalid(format!("state \"{}\"", self.name), message)
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    fn string(&self, key: &str) -> Result<Option<String>, DefinitionError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.err(format!("{key} must be a string"))),
        }
    }

    fn non_negative_integer(&self, key: &str) -> Result<Option<u64>, DefinitionError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.err(format!("{key} must be a non-negative integer"))),
        }
    }

    fn path(&self, key: &str) -> Result<Option<Path>, DefinitionError> {
        match self.string(key)? {
            None => Ok(None),
            Some(text) => Path::parse(&text)
                .map(Some)
                .map_err(|e| self.err(format!("{key}: {e}"))),
        }
    }

    fn io_path(&self, key: &str) -> Result<IoPath, DefinitionError> {
        match self.get(key) {
            Some(Value::Null) => Ok(IoPath::Null),
            None => Ok(IoPath::Path(Path::parse("$").map_err(|e| self.err(e))?)),
            Some(_) => Ok(IoPath::Path(self.path(key)?.ok_or_else(|| self.err(key))?)),
        }
    }

    fn template(&self, key: &str) -> Result<Option<Template>, DefinitionError> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => Template::compile(value)
                .map(Some)
                .map_err(|e| self.err(format!("{key}: {e}"))),
        }
    }

    fn result_path(&self) -> Result<ResultPath, DefinitionError> {
        match self.get("ResultPath") {
            None => Ok(ResultPath::default()),
            Some(value) => ResultPath::parse(value).map_err(|e| self.err(e)),
        }
    }

    fn transition(&self) -> Result<Transition, DefinitionError> {
        let end = match self.get("End") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(self.err("End must be a boolean")),
        };
        match (self.string("Next")?, end) {
            (Some(_), true) => Err(self.err("a state cannot have both Next and End")),
            (Some(next), false) => Ok(Transition::Next(next)),
            (None, true) => Ok(Transition::End),
            (None, false) => Err(self.err("the state needs either Next or End: true")),
        }
    }

    fn no_transition(&self, type_name: &str) -> Result<(), DefinitionError> {
        if self.map.contains_key("Next") || self.map.contains_key("End") {
            return Err(self.err(format!("a {type_name} state cannot have Next or End")));
        }
        Ok(())
    }

    fn processing(&self) -> Result<Processing, DefinitionError> {
        let retry = match self.get("Retry") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    retry::parse_retrier(item, i + 1 == items.len())
                        .map_err(|e| self.err(format!("Retry[{i}]: {e}")))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(self.err("Retry must be an array")),
        };
        let catch = match self.get("Catch") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    retry::parse_catcher(item, i + 1 == items.len())
                        .map_err(|e| self.err(format!("Catch[{i}]: {e}")))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(self.err("Catch must be an array")),
        };
        Ok(Processing {
            parameters: self.template("Parameters")?,
            result_selector: self.template("ResultSelector")?,
            result_path: self.result_path()?,
            retry,
            catch,
        })
    }

    fn setting(&self, key: &str) -> Result<Option<Setting>, DefinitionError> {
        let path_key = format!("{key}Path");
        match (self.get(key), self.path(&path_key)?) {
            (Some(_), Some(_)) => Err(self.err(format!("{key} and {path_key} are exclusive"))),
            (Some(value), None) => value
                .as_f64()
                .filter(|n| *n >= 0.0)
                .map(|n| Some(Setting::Value(n)))
                .ok_or_else(|| self.err(format!("{key} must be a non-negative number"))),
            (None, Some(path)) => Ok(Some(Setting::Path(path))),
            (None, None) => Ok(None),
        }
    }

    fn fail_text(&self, key: &str) -> Result<Option<FailText>, DefinitionError> {
        let path_key = format!("{key}Path");
        match (self.string(key)?, self.string(&path_key)?) {
            (Some(_), Some(_)) => Err(self.err(format!("{key} and {path_key} are exclusive"))),
            (Some(text), None) => Ok(Some(FailText::Literal(text))),
            (None, Some(text)) if text.trim_start().starts_with('$') => Path::parse(&text)
                .map(|p| Some(FailText::Path(p)))
                .map_err(|e| self.err(format!("{path_key}: {e}"))),
            (None, Some(text)) => Intrinsic::parse(&text)
                .map(|i| Some(FailText::Intrinsic(i)))
                .map_err(|e| self.err(format!("{path_key}: {e}"))),
            (None, None) => Ok(None),
        }
    }
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn allowed_fields(type_name: &str) -> Option<&'static [&'static str]> {
    Some(match type_name {
        "Pass" => &[
            "InputPath",
            "OutputPath",
            "Parameters",
            "Result",
            "ResultPath",
            "Next",
            "End",
        ],
        "Task" => &[
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Next",
            "End",
            "Resource",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
        ],
        "Choice" => &["InputPath", "OutputPath", "Choices", "Default"],
        "Wait" => &[
            "InputPath",
            "OutputPath",
            "Next",
            "End",
            "Seconds",
            "SecondsPath",
            "Timestamp",
            "TimestampPath",
        ],
        "Succeed" => &["InputPath", "OutputPath"],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &[
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Next",
            "End",
            "Branches",
        ],
        "Map" => &[
            "InputPath",
            "OutputPath",
            "ItemsPath",
            "ItemSelector",
            "Parameters",
            "ItemProcessor",
            "Iterator",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Next",
            "End",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "Label",
        ],
        _ => return None,
    })
}

fn parse_state(name: &str, value: &Value) -> Result<State, DefinitionError> {
    let location = format!("state \"{name}\"");
    let Some(map) = value.as_object() else {
        return Err(DefinitionError::invalid(location, "must be a JSON object"));
    };
    let fields = Fields { name, map };
    let type_name = fields
        .string("Type")?
        .ok_or_else(|| fields.err("Type is missing"))?;
    let allowed = allowed_fields(&type_name)
        .ok_or_else(|| fields.err(format!("unknown state Type '{type_name}'")))?;
    if let Some(key) = map
        .keys()
        .find(|key| !allowed.contains(&key.as_str()) && !COMMON.contains(&key.as_str()))
    {
        return Err(fields.err(format!(
            "field '{key}' is not supported in a {type_name} state"
        )));
    }
    if let Some(language) = map.get("QueryLanguage")
        && language != "JSONPath"
    {
        return Err(fields.err("only the JSONPath query language is supported"));
    }
    let kind = match type_name.as_str() {
        "Pass" => StateKind::Pass {
            parameters: fields.template("Parameters")?,
            result: map.get("Result").cloned(),
            result_path: fields.result_path()?,
            transition: fields.transition()?,
        },
        "Task" => parse_task(&fields)?,
        "Choice" => parse_choice(&fields)?,
        "Wait" => parse_wait(&fields)?,
        "Succeed" => {
            fields.no_transition("Succeed")?;
            StateKind::Succeed
        }
        "Fail" => {
            fields.no_transition("Fail")?;
            StateKind::Fail {
                error: fields.fail_text("Error")?,
                cause: fields.fail_text("Cause")?,
            }
        }
        "Parallel" => {
            let Some(Value::Array(branches)) = map.get("Branches") else {
                return Err(fields.err("Branches must be an array"));
            };
            if branches.is_empty() {
                return Err(fields.err("Branches must not be empty"));
            }
            let branches = branches
                .iter()
                .enumerate()
                .map(|(i, b)| parse_machine(b, &format!("state \"{name}\" Branches[{i}]"), false))
                .collect::<Result<_, _>>()?;
            StateKind::Parallel {
                branches,
                processing: fields.processing()?,
                transition: fields.transition()?,
            }
        }
        "Map" => parse_map(&fields)?,
        other => return Err(fields.err(format!("unknown state Type '{other}'"))),
    };
    let input_path = fields.io_path("InputPath")?;
    let output_path = fields.io_path("OutputPath")?;
    Ok(State {
        name: name.to_string(),
        input_path,
        output_path,
        kind,
    })
}

fn parse_task(fields: &Fields<'_>) -> Result<StateKind, DefinitionError> {
    let resource = fields
        .string("Resource")?
        .filter(|r| !r.is_empty())
        .ok_or_else(|| fields.err("a Task needs a Resource"))?;
    let timeout = match (
        fields.non_negative_integer("TimeoutSeconds")?,
        fields.path("TimeoutSecondsPath")?,
    ) {
        (Some(_), Some(_)) => {
            return Err(fields.err("TimeoutSeconds and TimeoutSecondsPath are exclusive"));
        }
        (Some(0), None) => return Err(fields.err("TimeoutSeconds must be positive")),
        (Some(seconds), None) => Some(TaskTimeout::Seconds(seconds)),
        (None, Some(path)) => Some(TaskTimeout::Path(path)),
        (None, None) => None,
    };
    Ok(StateKind::Task {
        resource,
        processing: fields.processing()?,
        timeout,
        transition: fields.transition()?,
    })
}

fn parse_choice(fields: &Fields<'_>) -> Result<StateKind, DefinitionError> {
    fields.no_transition("Choice")?;
    let Some(Value::Array(rules)) = fields.get("Choices") else {
        return Err(fields.err("Choices must be an array"));
    };
    if rules.is_empty() {
        return Err(fields.err("Choices must not be empty"));
    }
    let choices = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            choice::parse_rule(rule).map_err(|e| fields.err(format!("Choices[{i}]: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(StateKind::Choice {
        choices,
        default: fields.string("Default")?,
    })
}

fn parse_wait(fields: &Fields<'_>) -> Result<StateKind, DefinitionError> {
    let mut found = Vec::new();
    if let Some(seconds) = fields.non_negative_integer("Seconds")? {
        found.push(WaitFor::Seconds(seconds));
    }
    if let Some(path) = fields.path("SecondsPath")? {
        found.push(WaitFor::SecondsPath(path));
    }
    if let Some(text) = fields.string("Timestamp")? {
        let time = choice::parse_timestamp(&text).ok_or_else(|| {
            fields.err(format!("Timestamp '{text}' is not an RFC 3339 timestamp"))
        })?;
        found.push(WaitFor::Timestamp(time));
    }
    if let Some(path) = fields.path("TimestampPath")? {
        found.push(WaitFor::TimestampPath(path));
    }
    if found.len() != 1 {
        return Err(fields.err(
            "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath",
        ));
    }
    let wait = found.remove(0);
    Ok(StateKind::Wait {
        wait,
        transition: fields.transition()?,
    })
}

fn parse_map(fields: &Fields<'_>) -> Result<StateKind, DefinitionError> {
    let name = fields.name;
    let processor = match (fields.get("ItemProcessor"), fields.get("Iterator")) {
        (Some(_), Some(_)) => return Err(fields.err("ItemProcessor and Iterator are exclusive")),
        (Some(value), None) => {
            if let Some(config) = value.get("ProcessorConfig") {
                let mode = config
                    .get("Mode")
                    .and_then(Value::as_str)
                    .unwrap_or("INLINE");
                if mode != "INLINE" && mode != "DISTRIBUTED" {
                    return Err(fields.err(format!("unknown ProcessorConfig Mode '{mode}'")));
                }
            }
            parse_machine(value, &format!("state \"{name}\" ItemProcessor"), false)?
        }
        (None, Some(value)) => parse_machine(value, &format!("state \"{name}\" Iterator"), false)?,
        (None, None) => return Err(fields.err("a Map needs an ItemProcessor (or Iterator)")),
    };
    let item_selector = match (
        fields.template("ItemSelector")?,
        fields.template("Parameters")?,
    ) {
        (Some(_), Some(_)) => {
            return Err(fields.err("ItemSelector and Parameters are exclusive"));
        }
        (selector, parameters) => selector.or(parameters),
    };
    let mut processing = fields.processing()?;
    processing.parameters = None;
    let items_path = fields
        .path("ItemsPath")?
        .map_or_else(|| Path::parse("$").map_err(|e| fields.err(e)), Ok)?;
    let percentage = fields.setting("ToleratedFailurePercentage")?;
    if let Some(Setting::Value(p)) = percentage
        && p > 100.0
    {
        return Err(fields.err("ToleratedFailurePercentage must be between 0 and 100"));
    }
    Ok(StateKind::Map {
        processor: Box::new(processor),
        items_path,
        item_selector,
        processing,
        max_concurrency: fields.setting("MaxConcurrency")?,
        tolerated_failure_count: fields.setting("ToleratedFailureCount")?,
        tolerated_failure_percentage: percentage,
        transition: fields.transition()?,
    })
}
