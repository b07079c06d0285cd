pub mod project;
pub mod system_check;
