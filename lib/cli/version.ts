/** The program's name and version, as `--version` and the logs say them. */
import config from "../../deno.json" with { type: "json" };

export const NAME = "wsecho";
export const VERSION: string = config.version;
