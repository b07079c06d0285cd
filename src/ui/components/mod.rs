pub mod api_keys;
pub mod build_log;
pub mod definition_form;
pub mod invalid_definition;
pub mod project_list;
pub mod review_dialog;
pub mod terminal;
pub mod terminal_widget;
