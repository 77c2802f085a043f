import { defineErrorClass } from '@stratos-edge/core'

/** A node asked for Proof of Traffic without a meta service to ask (no --meta, no --bootstrap). */
export class NoMetaServiceError extends defineErrorClass('NoMetaServiceError') {}
