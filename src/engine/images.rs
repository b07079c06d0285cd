//! Images Paddock makes without a build: a root file system packed by the
//! host layer (the self-test's busybox image), and removing them again.

use podman_api::opts::ImageImportOpts;

use crate::{Engine, Error, Result};

impl Engine {
    /// Imports `archive` (an uncompressed tar of a root file system) as
    /// `reference`, unless that image exists. No registry is asked.
    pub async fn import_image(&self, reference: &str, archive: Vec<u8>) -> Result<()> {
        if self.image_exists(reference).await? {
            return Ok(());
        }
        self.podman
            .images()
            .import(
                &ImageImportOpts::builder().reference(reference).build(),
                archive,
            )
            .await
            .map_err(|err| Error::podman(reference, err))?;
        Ok(())
    }

    /// Removes the image `reference`; one that is already gone is no error.
    pub async fn remove_image(&self, reference: &str) -> Result<()> {
        if !self.image_exists(reference).await? {
            return Ok(());
        }
        self.podman
            .images()
            .get(reference)
            .remove()
            .await
            .map_err(|err| Error::podman(reference, err))
    }
}
