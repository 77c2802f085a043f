/**
 * Errors of the NFT uploader. Each failure has its own class with a stable `name` (check `err.name`);
 * every message is written for the creator, and says what to do next.
 */
import { defineErrorClass } from '@stratos-edge/core'

/** The file is larger than the host allows; nothing was uploaded. */
export class FileTooLargeError extends defineErrorClass('FileTooLargeError') {}
/** The file's type is not one the host accepts; nothing was uploaded. */
export class FileTypeNotAllowedError extends defineErrorClass('FileTypeNotAllowedError') {}
/** A metadata field is missing or malformed (say, a name left empty, or a colour that is not hex). */
export class MetadataInvalidError extends defineErrorClass('MetadataInvalidError') {}
/** The creator cancelled the upload. */
export class UploadCancelledError extends defineErrorClass('UploadCancelledError') {}
/** The storage network could not be reached (the light node did not start). */
export class NetworkUnavailableError extends defineErrorClass('NetworkUnavailableError') {}
/** A file could not be stored on the network. */
export class FileUploadError extends defineErrorClass('FileUploadError') {}
/** The widget is missing a setting the host must give (e.g. `resource-nodes`). */
export class WidgetConfigError extends defineErrorClass('WidgetConfigError') {}
