//! The responding microservice's logic: the chat bot's definition, its Lex V2 fulfilment code
//! hook, reply-text (a text-only MESSAGE_ANALYSED → the bot's answer → SEND_TWEET), and
//! reply-image (a MESSAGE_ANALYSED with images → annotated photos → SEND_TWEET; drawing in
//! `annotate`).

pub mod annotate;
pub mod bot;
pub mod fulfilment;
pub mod remote;
pub mod reply_image;
pub mod reply_text;
