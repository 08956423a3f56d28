//! Every handler's logic, written against ports (traits) only. No SDK is imported here.
