// A small typed client for the communique API. The types generated in generated/ give
// each document's result and variables their TypeScript shapes, so code that passes the
// wrong variables or reads a field its document did not select fails to compile.

import type {
  MeetingParticipantsQuery,
  MeetingParticipantsQueryVariables,
} from "./generated/graphql";
import type { MeetingStatus } from "./generated/schema";

/** Document text tagged with the types of its result and variables; see `typed`. */
export type TypedDocument<TData, TVariables> = string & {
  readonly __types?: (variables: TVariables) => TData;
};

/** Tags one of the `queries/*.graphql` texts with its generated types. */
export function typed<TData, TVariables>(text: string): TypedDocument<TData, TVariables> {
  return text as TypedDocument<TData, TVariables>;
}

/** One entry of a GraphQL response's `errors`. */
export interface GraphQLErrorEntry {
  readonly message: string;
  readonly path?: ReadonlyArray<string | number>;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** The server answered with errors, or not with a GraphQL response at all. */
export class GraphQLRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ReadonlyArray<GraphQLErrorEntry>,
    /** What the server could resolve despite the errors, if anything. */
    readonly partialData: unknown = null,
  ) {
    super(errors.map((error) => error.message).join("; ") || `HTTP ${status}`);
    this.name = "GraphQLRequestError";
  }
}

interface ExecutionResult<TData> {
  readonly data?: TData | null;
  readonly errors?: ReadonlyArray<GraphQLErrorEntry>;
}

/**
 * Sends `document` with `variables` to `endpoint` (such as `http://127.0.0.1:8000/graphql`)
 * and returns its data. Any error in the response is thrown, with whatever partial data
 * came with it.
 */
export async function request<TData, TVariables>(
  endpoint: string | URL,
  document: TypedDocument<TData, TVariables>,
  variables: TVariables,
  signal?: AbortSignal,
): Promise<TData> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json",
    },
    body: JSON.stringify({ query: document, variables }),
    signal: signal ?? null,
  });
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.includes("json")) {
    throw new GraphQLRequestError(response.status, [
      { message: `expected a JSON response, got ${type || "no content type"}` },
    ]);
  }
  const result = (await response.json()) as ExecutionResult<TData>;
  if (result.errors?.length || result.data == null) {
    throw new GraphQLRequestError(response.status, result.errors ?? [], result.data ?? null);
  }
  return result.data;
}

/**
 * One line per meeting: its date, title, and who took part in which role. `text` is
 * queries/MeetingParticipants.graphql, loaded however the app loads documents (a
 * bundler's raw import, or a file read).
 */
export async function meetingLines(
  endpoint: string | URL,
  text: string,
  status?: MeetingStatus,
): Promise<string[]> {
  const document = typed<MeetingParticipantsQuery, MeetingParticipantsQueryVariables>(text);
  const data = await request(endpoint, document, { first: 50, status: status ?? null });
  return data.meetings.nodes.map((meeting) => {
    const who = meeting.participants
      .map((participant) => `${participant.actor.name} (${participant.role.toLowerCase()})`)
      .join(", ");
    return `${meeting.time.at.slice(0, 10)} ${meeting.title}: ${who}`;
  });
}

// Compile-time checks only, never called: the generated types reject wrong variables and
// fields the document did not select.
async function rejectsMismatches(endpoint: string, text: string): Promise<void> {
  const document = typed<MeetingParticipantsQuery, MeetingParticipantsQueryVariables>(text);
  // @ts-expect-error `status` takes a MeetingStatus, and "DONE" is not one.
  await request(endpoint, document, { status: "DONE" });
  const data = await request(endpoint, document, {});
  // @ts-expect-error the document does not select `summary`.
  void data.meetings.nodes[0]?.summary;
}
void rejectsMismatches;
