pub mod build_log;
pub mod definition_form;
pub mod project_list;
