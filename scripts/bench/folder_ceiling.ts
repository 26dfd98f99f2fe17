// The bare-runtime ceiling for the folder part of `bench:files`: a Deno
// program copying the folder SRC to DEST on the same machine (read each file
// whole, write it to a new file; no network, no protocol, no check). No fetch
// of the folder can do less work on the receiving side. Prints {"files": N}.
// usage: folder_ceiling.ts SRC DEST

const [src, dest] = Deno.args;
let files = 0;

function copy(from: string, to: string): void {
  Deno.mkdirSync(to);
  for (const entry of Deno.readDirSync(from)) {
    const source = `${from}/${entry.name}`;
    const target = `${to}/${entry.name}`;
    if (entry.isDirectory) copy(source, target);
    else if (entry.isFile) {
      Deno.writeFileSync(target, Deno.readFileSync(source), { createNew: true });
      files++;
    }
  }
}

copy(src!, dest!);
console.log(JSON.stringify({ files }));
