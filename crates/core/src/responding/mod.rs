//! The responding microservice's logic: the chat bot's definition, its Lex V2 fulfilment code
//! hook, and reply-text (a text-only MESSAGE_ANALYSED → the bot's answer → SEND_TWEET).

pub mod bot;
pub mod fulfilment;
pub mod remote;
pub mod reply_text;
