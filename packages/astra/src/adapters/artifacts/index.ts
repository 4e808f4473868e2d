export { ARTIFACTS_DEFAULTS } from './artifact-rules.js';
export { createFsArtifactStore, type FsArtifactStoreOptions } from './fs-store.js';
export { createS3ArtifactStore, type S3ArtifactStoreOptions } from './s3-store.js';
