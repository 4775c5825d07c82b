// The one way the pages reach data: POST /graphql with the caller's own token.

import { currentToken } from "./session.js";

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

/** Run one operation; resolves to {data, errors} (field errors beside data), rejects with ApiError. */
export async function graphql(query, variables = {}) {
  const headers = { "Content-Type": "application/json" };
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError("NETWORK_ERROR", "the gateway cannot be reached", 0);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP_${response.status}`, "the gateway's answer is not JSON", response.status);
  }
  const first = Array.isArray(body.errors) ? body.errors[0] : null;
  if (!response.ok || body.data === null || body.data === undefined) {
    const code = first?.extensions?.code || `HTTP_${response.status}`;
    throw new ApiError(code, first?.message || code, response.status);
  }
  return { data: body.data, errors: body.errors || [] };
}

/** Fetch a JSON document of this origin (the audit keys). */
export async function getJson(path) {
  const response = await fetch(path, { credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
  if (!response.ok) throw new ApiError(`HTTP_${response.status}`, path, response.status);
  return response.json();
}
