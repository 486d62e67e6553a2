/**
 * OCI image-spec and Docker image manifest v2 schema 2 types: media types,
 * descriptors, manifests, indexes and image configs, with parsers that check
 * the fields this program relies on and keep the rest as they are.
 */
import { InvalidInputError, UnsupportedError } from './errors';
import { parseDiffID, parseDigest } from './digest';
import type { DiffID, Digest } from './digest';
import { fromUTF8 } from './bytes';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
/** Non-distributable layers; deprecated in image-spec 1.1, still found in Windows images. */
export const OCI_LAYER_NONDISTRIBUTABLE = 'application/vnd.oci.image.layer.nondistributable.v1.tar';

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** Uncompressed and zstd Docker layer types; containerd and BuildKit write them. */
export const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';
export const DOCKER_LAYER_ZSTD = 'application/vnd.docker.image.rootfs.diff.tar.zstd';
export const DOCKER_FOREIGN_LAYER = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
export const DOCKER_SCHEMA1_MANIFEST = 'application/vnd.docker.distribution.manifest.v1+json';
export const DOCKER_SCHEMA1_SIGNED_MANIFEST = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/** Annotation of an image's tag or name in an OCI layout's index.json. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
/** Annotation containerd and Docker 25+ write with the full image name. */
export const ANNOTATION_CONTAINERD_IMAGE_NAME = 'io.containerd.image.name';
/** BuildKit marks attestation manifests in an index with this annotation. */
export const ANNOTATION_DOCKER_REFERENCE_TYPE = 'vnd.docker.reference.type';

/** Target platform of an image, as in index descriptors and configs. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** Content descriptor: media type, digest and size of one blob, as a manifest or index lists it. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
  artifactType?: string;
}

/** OCI image manifest or Docker schema 2 manifest. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** OCI image index or Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The parts of an image config this program reads; the raw bytes keep the rest. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  rootfs: { type: 'layers'; diff_ids: DiffID[] };
  created?: string;
  config?: Record<string, unknown>;
  history?: Record<string, unknown>[];
}

type JSONObject = Record<string, unknown>;

/** Parses JSON bytes into an object; `where` names the document in errors. */
export function parseJSONObject(bytes: Uint8Array, where: string): JSONObject {
  let value: unknown;
  try {
    value = JSON.parse(fromUTF8(bytes));
  } catch (error) {
    throw new InvalidInputError(`${where}: invalid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${where}: expected a JSON object, got ${describeJSON(value)}`);
  }
  return value as JSONObject;
}

/** Returns a short description of a JSON value for error messages. */
export function describeJSON(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 80));
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function stringField(object: JSONObject, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== 'string') {
    throw new InvalidInputError(`${where}: ${key} must be a string, got ${describeJSON(value)}`);
  }
  return value;
}

function optionalString(object: JSONObject, key: string, where: string): string | undefined {
  return object[key] === undefined ? undefined : stringField(object, key, where);
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const valid =
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string');
  if (!valid) throw new InvalidInputError(`${where}: expected a map of strings`);
  return value as Record<string, string>;
}

/** Parses and checks one descriptor. */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${where}: expected a descriptor object, got ${describeJSON(value)}`);
  }
  const object = value as JSONObject;
  const size = object.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidInputError(`${where}: invalid size ${describeJSON(size)}`);
  }
  const descriptor: Descriptor = {
    mediaType: stringField(object, 'mediaType', where),
    digest: parseDigest(object.digest, `${where}: digest`),
    size,
  };
  const annotations = stringMap(object.annotations, `${where}: annotations`);
  if (annotations) descriptor.annotations = annotations;
  if (object.platform !== undefined && object.platform !== null) {
    descriptor.platform = parsePlatform(object.platform, `${where}: platform`);
  }
  if (Array.isArray(object.urls) && object.urls.length > 0) {
    descriptor.urls = object.urls.map(String);
  }
  const artifactType = optionalString(object, 'artifactType', where);
  if (artifactType !== undefined) descriptor.artifactType = artifactType;
  return descriptor;
}

/** Parses a platform object. */
export function parsePlatform(value: unknown, where: string): Platform {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${where}: expected a platform object, got ${describeJSON(value)}`);
  }
  const object = value as JSONObject;
  const platform: Platform = {
    os: stringField(object, 'os', where),
    architecture: stringField(object, 'architecture', where),
  };
  const variant = optionalString(object, 'variant', where);
  if (variant) platform.variant = variant;
  const osVersion = optionalString(object, 'os.version', where);
  if (osVersion) platform['os.version'] = osVersion;
  if (Array.isArray(object['os.features'])) platform['os.features'] = object['os.features'].map(String);
  return platform;
}

/** Formats a platform as `os/architecture[/variant]`. */
export function formatPlatform(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant ? `${base}/${platform.variant}` : base;
}

/** Throws UnsupportedError for Docker schema 1 documents, which have no config blob. */
function rejectSchema1(object: JSONObject, where: string): void {
  const mediaType = object.mediaType;
  if (
    object.schemaVersion === 1 ||
    mediaType === DOCKER_SCHEMA1_MANIFEST ||
    mediaType === DOCKER_SCHEMA1_SIGNED_MANIFEST
  ) {
    const what = typeof mediaType === 'string' ? mediaType : 'schemaVersion 1';
    throw new UnsupportedError(`${where}: Docker schema 1 manifests (${what}) are not supported`);
  }
}

function checkSchemaVersion(object: JSONObject, where: string): void {
  rejectSchema1(object, where);
  if (object.schemaVersion !== 2) {
    throw new InvalidInputError(
      `${where}: schemaVersion must be 2, got ${describeJSON(object.schemaVersion)}`,
    );
  }
}

/** Returns true for the media types of an image index or manifest list. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

/** Returns true for the media types of a single-image manifest. */
export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

/** Parses an image manifest. Throws UnsupportedError for schema 1. */
export function parseImageManifest(bytes: Uint8Array, where: string): ImageManifest {
  const object = parseJSONObject(bytes, where);
  checkSchemaVersion(object, where);
  const mediaType = optionalString(object, 'mediaType', where);
  if (isIndexMediaType(mediaType) || (mediaType === undefined && 'manifests' in object)) {
    throw new InvalidInputError(`${where}: expected an image manifest, got an index (${mediaType})`);
  }
  if (mediaType !== undefined && !isManifestMediaType(mediaType)) {
    throw new UnsupportedError(`${where}: manifest media type ${mediaType} is not supported`);
  }
  if (!Array.isArray(object.layers)) {
    throw new InvalidInputError(`${where}: layers must be an array, got ${describeJSON(object.layers)}`);
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    config: parseDescriptor(object.config, `${where}: config`),
    layers: object.layers.map((layer, i) => parseDescriptor(layer, `${where}: layers[${i}]`)),
  };
  if (mediaType !== undefined) manifest.mediaType = mediaType;
  const artifactType = optionalString(object, 'artifactType', where);
  if (artifactType !== undefined) manifest.artifactType = artifactType;
  if (object.subject !== undefined) {
    manifest.subject = parseDescriptor(object.subject, `${where}: subject`);
  }
  const annotations = stringMap(object.annotations, `${where}: annotations`);
  if (annotations) manifest.annotations = annotations;
  return manifest;
}

/** Parses an image index or manifest list; `manifests: null` reads as empty. */
export function parseImageIndex(bytes: Uint8Array, where: string): ImageIndex {
  const object = parseJSONObject(bytes, where);
  checkSchemaVersion(object, where);
  const mediaType = optionalString(object, 'mediaType', where);
  if (mediaType !== undefined && !isIndexMediaType(mediaType)) {
    throw new InvalidInputError(`${where}: expected an image index, got ${mediaType}`);
  }
  const list = object.manifests ?? [];
  if (!Array.isArray(list)) {
    throw new InvalidInputError(`${where}: manifests must be an array, got ${describeJSON(list)}`);
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: list.map((item, i) => parseDescriptor(item, `${where}: manifests[${i}]`)),
  };
  if (mediaType !== undefined) index.mediaType = mediaType;
  const annotations = stringMap(object.annotations, `${where}: annotations`);
  if (annotations) index.annotations = annotations;
  return index;
}

/** Parses an image config and checks its rootfs. */
export function parseImageConfig(bytes: Uint8Array, where: string): ImageConfig {
  const object = parseJSONObject(bytes, where);
  const rootfs = object.rootfs as JSONObject | undefined;
  if (typeof rootfs !== 'object' || rootfs === null || rootfs.type !== 'layers') {
    throw new InvalidInputError(`${where}: rootfs must be an object with type "layers"`);
  }
  const diffIDs = rootfs.diff_ids ?? [];
  if (!Array.isArray(diffIDs)) {
    throw new InvalidInputError(`${where}: rootfs.diff_ids must be an array`);
  }
  const config: ImageConfig = {
    architecture: optionalString(object, 'architecture', where) ?? '',
    os: optionalString(object, 'os', where) ?? '',
    rootfs: {
      type: 'layers',
      diff_ids: diffIDs.map((id, i) => parseDiffID(id, `${where}: rootfs.diff_ids[${i}]`)),
    },
  };
  const variant = optionalString(object, 'variant', where);
  if (variant) config.variant = variant;
  const created = optionalString(object, 'created', where);
  if (created !== undefined) config.created = created;
  if (typeof object.config === 'object' && object.config !== null) {
    config.config = object.config as Record<string, unknown>;
  }
  if (Array.isArray(object.history)) config.history = object.history as Record<string, unknown>[];
  return config;
}

/** Returns the platform an image config names. */
export function configPlatform(config: ImageConfig): Platform {
  const platform: Platform = { os: config.os, architecture: config.architecture };
  if (config.variant) platform.variant = config.variant;
  return platform;
}
