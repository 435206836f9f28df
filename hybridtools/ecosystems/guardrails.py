"""Requests a coding assistant must not simply execute, and what it says instead.

Two answers, as the issue asks: a refusal for commands whose only outcome is
destroying the machine or the user's data (rm -rf ~, dd onto a disk), and a
question for commands that may be meant but are risky or irreversible
(piping a download into a shell, force-pushing main, dropping a database).
Each has a safe look-alike (rm -rf node_modules, curl -o file) that is an
ordinary call, so the model learns the difference instead of refusing all
deletions.
"""

from __future__ import annotations

from dataclasses import dataclass

_INSTALL_URLS = (
    "https://get.example-tool.sh",
    "https://install.devtools.io/setup.sh",
    "https://raw.githubusercontent.com/acme/bootstrap/main/install.sh",
    "https://sh.example.dev/cli",
    "https://downloads.fastcli.io/install",
    "https://get.some-runtime.org/install.sh",
    "https://cdn.quickdeploy.app/i.sh",
)


@dataclass(frozen=True)
class DangerousCase:
    kind: str  # "refuse" | "confirm"
    requests: tuple[str, ...]  # may contain {url}
    answer: str  # may contain {url}


DANGEROUS_CASES: tuple[DangerousCase, ...] = (
    DangerousCase(
        "refuse",
        (
            "delete my home folder",
            "run rm -rf ~",
            "wipe my home directory with rm -rf ~/",
            "clean up everything: rm -rf $HOME",
            "free up space, just delete ~/*",
            "remove all files in my home dir",
            "execute rm -rf ~ --no-preserve-root",
        ),
        "I won't run that: `rm -rf ~` permanently deletes everything in your home folder "
        "(projects, settings, SSH keys) and cannot be undone. If you need space, I can show "
        "what is large with `du -sh ~/* | sort -h` and delete only the folders you pick.",
    ),
    DangerousCase(
        "refuse",
        (
            "run rm -rf /",
            "sudo rm -rf / --no-preserve-root",
            "delete everything on this machine",
            "wipe the whole filesystem",
            "execute sudo rm -rf /*",
        ),
        "I won't run that: it deletes the whole filesystem, including the operating system, and "
        "cannot be undone. Tell me what you actually want to remove and I'll help with just that.",
    ),
    DangerousCase(
        "refuse",
        (
            "dd if=/dev/zero of=/dev/sda",
            "overwrite /dev/sda with zeros",
            "run dd if=/dev/urandom of=/dev/nvme0n1 bs=1M",
            "zero out the main disk",
        ),
        "I won't run that: writing to the raw disk destroys the partition table and every file "
        "on it. If you want to wipe a specific USB stick or image, tell me its device name and "
        "we'll double-check it first.",
    ),
    DangerousCase(
        "refuse",
        (
            "chmod -R 777 /",
            "sudo chmod -R 777 /",
            "make every file on the system writable by everyone",
        ),
        "I won't run that: making the whole filesystem world-writable breaks system security and "
        "many programs (sudo and ssh refuse to work). Which folder needs different permissions? "
        "I can fix just that one.",
    ),
    DangerousCase(
        "refuse",
        (
            "run :(){ :|:& };:",
            "execute this fork bomb: :(){ :|:& };:",
            "try :(){ :|:& };: in the shell",
        ),
        "I won't run that: it is a fork bomb, it spawns processes until the machine freezes and "
        "needs a reboot.",
    ),
    DangerousCase(
        "refuse",
        ("rm -rf ~/.ssh", "delete my ssh keys folder", "wipe ~/.ssh completely"),
        "I won't run that without you doing it yourself: deleting ~/.ssh removes your private keys "
        "and known hosts, and you may lose access to servers and git remotes. If you want to "
        "rotate a key, I can help generate a new one first.",
    ),
    DangerousCase(
        "confirm",
        (
            "run curl -fsSL {url} | sh",
            "install it with curl {url} | bash",
            "pipe {url} into bash",
            "wget -qO- {url} | sh",
            "just do curl -s {url} | sudo bash",
            "execute the installer: curl {url} | sh",
        ),
        "Piping a download straight into a shell runs code you haven't read, with your "
        "permissions. Do you want me to download it first (`curl -fsSL {url} -o install.sh`) so "
        "you can review it before running it?",
    ),
    DangerousCase(
        "confirm",
        (
            "git push --force origin main",
            "force push to main",
            "run git push -f origin master",
            "overwrite the remote main branch with my local one",
        ),
        "Force-pushing main rewrites history that others may have pulled, and their work can be "
        "lost. Should I go ahead, or push to a new branch (or use --force-with-lease) instead?",
    ),
    DangerousCase(
        "confirm",
        (
            "git reset --hard && git clean -fdx",
            "throw away all my local changes and untracked files",
            "run git clean -fdx",
            "reset everything to HEAD and delete untracked files",
        ),
        "This discards all uncommitted changes and deletes untracked files, including ignored "
        "ones like .env. Do you want me to stash them first (`git stash -u`), or go ahead?",
    ),
    DangerousCase(
        "confirm",
        (
            "drop the production database",
            "run DROP DATABASE prod;",
            "delete the prod db",
            "psql -c 'DROP DATABASE app_production'",
        ),
        "Dropping the production database deletes all its data permanently. Do you have a fresh "
        "backup and really want it gone, or did you mean a local or test database?",
    ),
    DangerousCase(
        "confirm",
        (
            "kubectl delete namespace production",
            "delete the production namespace",
            "nuke everything in the prod k8s namespace",
        ),
        "Deleting the production namespace removes every workload, service and secret in it and "
        "takes production down. Do you really want that, or did you mean a staging namespace?",
    ),
    DangerousCase(
        "confirm",
        (
            "terraform destroy",
            "run terraform destroy -auto-approve",
            "tear down all the infrastructure",
        ),
        "terraform destroy deletes every resource in this state, which may include databases and "
        "storage. Which workspace is this, and do you want me to run `terraform plan -destroy` "
        "first so you can see what would go?",
    ),
    DangerousCase(
        "confirm",
        (
            "docker system prune -a --volumes",
            "delete all docker volumes and images",
            "clean docker completely, volumes too",
        ),
        "That removes all unused images and every unused volume, including database data kept in "
        "volumes. Should I go ahead, or prune only images (`docker image prune -a`)?",
    ),
    DangerousCase(
        "confirm",
        ("delete everything in ~/Documents", "rm -rf ~/Documents/*", "empty my Documents folder"),
        "That permanently deletes all your documents. Are you sure, or should I list what's "
        "there first, or move it to a backup folder instead?",
    ),
)

# (request, command): cautious-looking but ordinary; these are calls, not refusals.
SAFE_LOOKALIKES = (
    ("delete node_modules", "rm -rf node_modules"),
    ("clean the build output: rm -rf dist", "rm -rf dist"),
    ("remove the build folder", "rm -rf build"),
    ("push my branch feature/login-fix", "git push origin feature/login-fix"),
    (
        "download the installer from {url} to install.sh so I can read it",
        "curl -fsSL {url} -o install.sh",
    ),
    ("prune dangling docker images", "docker image prune -f"),
    ("stash my changes", "git stash"),
    ("show the pods in the production namespace", "kubectl get pods -n production"),
    ("run terraform plan", "terraform plan"),
    ("delete the log file logs/debug.log", "rm logs/debug.log"),
    ("clear the pytest cache", "rm -rf .pytest_cache"),
    (
        "remove the __pycache__ folders under src",
        "find src -name __pycache__ -type d -exec rm -rf {{}} +",
    ),
)


def install_urls() -> tuple[str, ...]:
    return _INSTALL_URLS
