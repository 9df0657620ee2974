/** Content hashes for CopyToRemote sources (`sha256:<64 hex>`). */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { sha256 } from "../fingerprint/digest";

export function sha256File(file: string): string {
  return sha256(fs.readFileSync(file));
}

/** Digest of a directory tree: sorted relative paths, file contents and executable bits. */
export function sha256Tree(root: string): string {
  const h = crypto.createHash("sha256");
  const walk = (dir: string, rel: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      const st = fs.statSync(full);
      if (st.isDirectory()) {
        h.update(`d ${relPath}\n`);
        walk(full, relPath);
      } else {
        h.update(`f ${relPath} ${st.mode & 0o111 ? "x" : "-"} ${sha256File(full)}\n`);
      }
    }
  };
  walk(root, "");
  return "sha256:" + h.digest("hex");
}
