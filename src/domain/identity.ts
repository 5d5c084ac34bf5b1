/** Who is calling: resolved from X-Auth-Token by the auth middleware. */
export interface Identity {
	/** The caller's project; images they create are owned by it (Glance's owner_is_tenant). */
	tenant: string | null;
	user: string | null;
	roles: readonly string[];
	isAdmin: boolean;
}
