// The paging fields every list request shares (page_size, page_token, created_after,
// created_before), read into the domain's PageRequest.
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import type { PageRequest } from "../../domain/paging.js";

/** The paging fields of a List*Request. */
interface PagedRequest {
  pageSize: number;
  pageToken: string;
  createdAfter?: Timestamp;
  createdBefore?: Timestamp;
}

export function fromPagedRequest(req: PagedRequest): PageRequest {
  return {
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    createdAfter: req.createdAfter ? timestampMs(req.createdAfter) : undefined,
    createdBefore: req.createdBefore ? timestampMs(req.createdBefore) : undefined,
  };
}
