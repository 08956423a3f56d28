//! An Amazon States Language (JSONPath) interpreter for the local runtime.
