use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = tenohira::cli::Cli::parse();
    if let Err(e) = tenohira::cli::run(cli).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
